namespace Reel.Engine.Backends.Cuda;

/// <summary>An event (CUevent) that orders work across streams.</summary>
public sealed class GpuEvent(nint handle, Action<nint>? destroy) : IDisposable
{
    public nint Handle { get; } = handle;
    private Action<nint>? _destroy = destroy;

    public void Dispose()
    {
        Interlocked.Exchange(ref _destroy, null)?.Invoke(Handle);
    }
}
