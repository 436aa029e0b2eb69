namespace Reel.Engine.Backends.Cuda;

/// <summary>An instantiated graph (CUgraphExec), or in emulation the recorded list of operations.</summary>
public sealed class GpuGraph(nint handle, Action<nint>? destroy, IReadOnlyList<Action>? recorded = null) : IDisposable
{
    public nint Handle { get; } = handle;
    internal IReadOnlyList<Action>? Recorded { get; } = recorded;
    private Action<nint>? _destroy = destroy;

    public void Dispose()
    {
        Interlocked.Exchange(ref _destroy, null)?.Invoke(Handle);
    }
}
