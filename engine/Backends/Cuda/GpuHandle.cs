namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// A driver object (stream, event, graph) destroyed once by its owner's Dispose, however often that
/// is called; on the emulator the handle is 0 and there is nothing to destroy.
/// </summary>
public abstract class GpuHandle(nint handle, Action<nint>? destroy) : IDisposable
{
    private Action<nint>? _destroy = destroy;

    /// <summary>The driver's handle (CUstream, CUevent, CUgraphExec); 0 on the emulator.</summary>
    public nint Handle { get; } = handle;

    /// <summary>Destroys the object once, however often it is called.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _destroy, null)?.Invoke(Handle);
    }
}
