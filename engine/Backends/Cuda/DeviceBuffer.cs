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

    /// <summary>Takes ownership of <paramref name="bytes"/> bytes of device memory at <paramref name="address"/>.</summary>
    /// <param name="address">The allocation's device address.</param>
    /// <param name="bytes">Its size.</param>
    /// <param name="free">Frees it; called once, by Dispose or (a leak) the finalizer.</param>
    /// <param name="finalized">Told when the finalizer, not Dispose, frees the buffer (the emulated device counts these).</param>
    internal DeviceBuffer(ulong address, long bytes, Action<ulong> free, Action? finalized = null) : base(0, ownsHandle: true)
    {
        _free = free;
        _finalized = finalized;
        Bytes = bytes;
        SetHandle((nint)address);
    }

    /// <summary>The size asked for, in bytes.</summary>
    public long Bytes { get; }

    /// <summary>The device address; reading it after Dispose throws rather than hand out freed memory.</summary>
    public DevicePtr Ptr => IsClosed ? throw new ObjectDisposedException(nameof(DeviceBuffer)) : new((ulong)handle);
    /// <summary>Address 0 is no allocation.</summary>
    public override bool IsInvalid => handle == 0;

    /// <summary>Frees the memory through the device that allocated it.</summary>
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
