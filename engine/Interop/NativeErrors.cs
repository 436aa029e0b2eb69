using System.Text;

namespace Reel.Engine.Interop;

/// <summary>A bad argument at the C boundary (NULL pointer, unknown handle, frame that does not fit): REEL_E_INVALID_ARG.</summary>
internal sealed class NativeArgumentException(string message) : Exception(message);

/// <summary>Something the caller asked for that this build does not have (a backend): REEL_E_UNSUPPORTED.</summary>
internal sealed class NativeUnsupportedException(string message) : Exception(message);

/// <summary>
/// Turns any exception into a reel_status and hands its message to the shim, which copies it
/// into the calling thread's last-error buffer (the shim owns that storage; see reel.h).
/// </summary>
internal static unsafe class NativeErrors
{
    /// <summary>The shim's setter: copies a NUL-terminated UTF-8 message into the caller's thread-local buffer.</summary>
    public static delegate* unmanaged<byte*, void> SetLastError;

    public static int Report(Exception e)
    {
        var (status, message) = Classify(e);
        return Report(status, message);
    }

    public static int Report(NativeStatus status, string message)
    {
        if (SetLastError != null)
        {
            var utf8 = Encoding.UTF8.GetBytes(message.ReplaceLineEndings(" ") + "\0");
            fixed (byte* p = utf8) SetLastError(p);
        }
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
        _ => (NativeStatus.Internal, $"internal error ({e.GetType().Name}): {e.Message} — please report it"),
    };
}
