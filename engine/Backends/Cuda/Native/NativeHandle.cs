using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>
/// An owned native resource released by one library call. Each CUDA/cuDNN/NVRTC
/// object Reel creates lives in one of these, so it is freed exactly once even when the
/// owner is never disposed; release failures are ignored because nothing can be done then.
/// </summary>
internal sealed class NativeHandle : SafeHandle
{
    private readonly Func<nint, int> _release;

    public NativeHandle(nint handle, Func<nint, int> release, string kind) : base(0, ownsHandle: true)
    {
        _release = release;
        Kind = kind;
        SetHandle(handle);
    }

    public string Kind { get; }
    public override bool IsInvalid => handle == 0;
    public nint Value => IsClosed ? throw new ObjectDisposedException(Kind) : handle;

    protected override bool ReleaseHandle() => _release(handle) == 0;
}
