using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Reel.Engine.Interop;

/// <summary>
/// Turns any exception into a reel_status and keeps its message for reel_last_error in the
/// calling thread's own buffer (reel.h: at most 4 KiB, valid until that thread's next reel_ call).
/// </summary>
// SAFETY: the raw accesses all fall in the calling thread's pinned buffer, bounded where they are made.
internal static unsafe class NativeErrors
{
    private const int Capacity = 4096;

    /// <summary>The least stack a thread needs for every call, a restore included, as reel.h states it (measured with pthread_attr_setstacksize).</summary>
    private const int MinimumStackKiB = 256;

    // On the pinned object heap, so the pointer reel_last_error hands out never moves; it goes
    // with its thread.
    [ThreadStatic] private static byte[]? t_message;

    /// <summary>The calling thread's NUL-terminated UTF-8 message; "" when its last call succeeded.</summary>
    public static byte* LastError
    {
        get
        {
            // SAFETY: the array is on the pinned object heap, so the address stays valid while the thread lives;
            // it has Capacity bytes, and Report writes at most Capacity - 1 of them and a NUL.
            t_message ??= GC.AllocateArray<byte>(Capacity, pinned: true);
            return (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(t_message));
        }
    }

    /// <summary>Every entry point but reel_last_error, reel_version and reel_status_string starts with this.</summary>
    // SAFETY: LastError has Capacity ≥ 1 bytes.
    public static void Clear() => LastError[0] = 0;

    public static int Report(Exception e)
    {
        var (status, message) = Classify(e);
        return Report(status, message);
    }

    public static int Report(NativeStatus status, string message)
    {
        var utf8 = Encoding.UTF8.GetBytes(message.ReplaceLineEndings(" "));
        int n = Math.Min(utf8.Length, Capacity - 1);
        // Cut a message that is too long at a character boundary, never inside a UTF-8 sequence.
        while (n < utf8.Length && n > 0 && (utf8[n] & 0xC0) == 0x80) n--;
        // SAFETY: the span is exactly the thread's Capacity-byte buffer, and n < Capacity leaves room for the NUL.
        Debug.Assert(n < Capacity);
        var buffer = new Span<byte>(LastError, Capacity);
        utf8.AsSpan(0, n).CopyTo(buffer);
        buffer[n] = 0;
        return (int)status;
    }

    private static (NativeStatus, string) Classify(Exception e) => e switch
    {
        NativeArgumentException => (NativeStatus.InvalidArg, e.Message),
        NativeUnsupportedException => (NativeStatus.Unsupported, e.Message),
        OperationCanceledException => (NativeStatus.Cancelled, "cancelled: the progress callback returned non-zero"),
        CheckpointException => (NativeStatus.Checkpoint, e.Message),
        MediaException or IOException or UnauthorizedAccessException => (NativeStatus.Io, e.Message),
        ReelException => (NativeStatus.Failed, e.Message),
        OutOfMemoryException => (NativeStatus.OutOfMemory, $"out of memory: {e.Message}"),
        // The host chose the thread's stack (reel.h, "Host process"), so it is the host's to fix, not a bug in Reel.
        InsufficientExecutionStackException => (NativeStatus.Failed,
            $"the calling thread's stack is too small for this call: give it at least {MinimumStackKiB} KiB (pthread_attr_setstacksize)"),
        _ => (NativeStatus.Internal, $"internal error ({e.GetType().Name}): {e.Message} — please report it"),
    };
}
