namespace Reel.Engine.Backends.Cuda;

/// <summary>An instantiated graph (CUgraphExec), or in emulation the recorded list of operations.</summary>
public sealed class GpuGraph(nint handle, Action<nint>? destroy, IReadOnlyList<Action>? recorded = null) : GpuHandle(handle, destroy)
{
    /// <summary>What the emulator recorded during capture, replayed in order; null for a driver graph.</summary>
    internal IReadOnlyList<Action>? Recorded { get; } = recorded;
}
