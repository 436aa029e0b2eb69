using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>
/// A fixed-shape piece of work run many times — a training step, a network on each frame — made by
/// <see cref="IBackend.Repeat"/>. A CPU backend runs the body every time. A GPU backend runs it
/// eagerly the first time for a set of input shapes (loading its kernels, planning its convolutions,
/// filling its memory pool), captures its device work into a graph the second time, and from then on
/// copies the inputs into the graph's own buffers, replays the graph and copies the outputs out, without
/// calling the body. So the body must depend on its inputs' shapes only through the work it enqueues,
/// keep no host state that a later run needs (counters go in as input tensors), read nothing back to
/// the host, and make what outlives a run (weights, optimizer moments) on its first run.
/// </summary>
public interface IRepeatedWork : IDisposable
{
    /// <summary>Runs the work on <paramref name="inputs"/> (host or backend tensors) and returns its outputs, new tensors on the backend that the caller owns.</summary>
    Tensor[] Run(params Tensor[] inputs);
}
