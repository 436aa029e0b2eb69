using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Device memory from cuMemAlloc (or the emulator's host allocation), freed once by its owner's
/// Dispose. The SafeHandle's finalizer is only a safety net, and it complains when it runs.
/// </summary>
public sealed class DeviceBuffer : SafeHandle
{
    private readonly Action<ulong> _free;

    internal DeviceBuffer(ulong address, long bytes, Action<ulong> free) : base(0, ownsHandle: true)
    {
        _free = free;
        Bytes = bytes;
        SetHandle((nint)address);
    }

    public long Bytes { get; }
    public DevicePtr Ptr => IsClosed ? throw new ObjectDisposedException(nameof(DeviceBuffer)) : new((ulong)handle);
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        _free((ulong)handle);
        return true;
    }

    /// <summary>Buffers the finalizer had to free: each one is a missing Dispose (a bug), so it is counted and said.</summary>
    public static int Finalized => _finalized;
    private static int _finalized;

    protected override void Dispose(bool disposing)
    {
        if (!disposing && !IsClosed && !IsInvalid)
        {
            Interlocked.Increment(ref _finalized);
            Console.Error.WriteLine($"reel: warning: {Bytes} bytes of device memory were never disposed; the finalizer freed them");
        }
        base.Dispose(disposing);
    }
}
