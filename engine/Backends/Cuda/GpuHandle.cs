namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// A driver object (stream, event, graph) destroyed once by its owner's Dispose, however often that
/// is called; on the emulator there is nothing to destroy (a stream's handle is its number there, others are 0).
/// </summary>
public abstract class GpuHandle(nint handle, Action<nint>? destroy) : IDisposable
{
    private Action<nint>? _destroy = destroy;

    /// <summary>The driver's handle (CUstream, CUevent, CUgraphExec); on the emulator a stream's number, else 0.</summary>
    public nint Handle { get; } = handle;

    /// <summary>Destroys the object once, however often it is called.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _destroy, null)?.Invoke(Handle);
    }
}
