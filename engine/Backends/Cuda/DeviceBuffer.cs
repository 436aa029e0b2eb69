using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Device memory from cuMemAlloc (or the emulator's host allocation), freed once by its owner's
/// Dispose. The SafeHandle's finalizer is only a safety net, and it complains when it runs.
/// </summary>
public sealed class DeviceBuffer : SafeHandle
{
    private readonly Action<ulong> _free;
    private readonly Action? _finalized;

    /// <param name="finalized">Told when the finalizer, not Dispose, frees the buffer (the emulated device counts these).</param>
    internal DeviceBuffer(ulong address, long bytes, Action<ulong> free, Action? finalized = null) : base(0, ownsHandle: true)
    {
        _free = free;
        _finalized = finalized;
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

    /// <summary>A buffer the finalizer has to free is a missing Dispose (a bug): it is said, and its device told.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!disposing && !IsClosed && !IsInvalid)
        {
            _finalized?.Invoke();
            Console.Error.WriteLine($"reel: warning: {Bytes} bytes of device memory were never disposed; the finalizer freed them");
        }
        base.Dispose(disposing);
    }
}
