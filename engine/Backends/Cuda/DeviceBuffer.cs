using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda;

/// <summary>Device memory from cuMemAlloc (or the emulator's host allocation), freed once.</summary>
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
}
