using System.Diagnostics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>
/// Wraps a backend and times every op call (RunInto, Run) of the ops it prepares, in call order:
/// the per-layer profile of `reel bench`. Not thread-safe; one model at a time. On a GPU the times
/// are those of enqueuing, not of running.
/// </summary>
public sealed class ProfilingBackend : IBackend
{
    private readonly IBackend _inner;
    private readonly List<OpTiming> _calls;

    /// <summary>Times every op that <paramref name="inner"/> runs, into <see cref="Calls"/>.</summary>
    public ProfilingBackend(IBackend inner) : this(inner, new List<OpTiming>())
    {
    }

    private ProfilingBackend(IBackend inner, List<OpTiming> calls) => (_inner, _calls) = (inner, calls);

    /// <inheritdoc/>
    public string Name => _inner.Name;

    /// <summary>The calls since the last <see cref="Clear"/>.</summary>
    public IReadOnlyList<OpTiming> Calls => _calls;

    /// <summary>Forgets the calls recorded so far (between a warm-up and the timed runs).</summary>
    public void Clear() => _calls.Clear();

    /// <inheritdoc/>
    public bool Supports(Op op) => _inner.Supports(op);

    /// <inheritdoc/>
    public IPreparedOp Prepare(Op op, params Tensor[] parameters) => new Timed(_inner.Prepare(op, parameters), _calls);

    /// <summary>The inner backend's training twin, recording into the same list.</summary>
    public IBackend ForTraining() => _inner.ForTraining() is var t && t == _inner ? this : new ProfilingBackend(t, _calls);

    /// <inheritdoc/>
    public Tensor Zeros(Shape shape) => _inner.Zeros(shape);

    /// <inheritdoc/>
    public Tensor Import(Tensor t) => _inner.Import(t);

    /// <inheritdoc/>
    public IWorkspace CreateWorkspace() => _inner.CreateWorkspace();

    /// <inheritdoc/>
    public void EnsureFinite(Tensor t, string where) => _inner.EnsureFinite(t, where);

    /// <inheritdoc/>
    public void Synchronize() => _inner.Synchronize();

    /// <inheritdoc/>
    public double? TimeOnDevice(Action work) => _inner.TimeOnDevice(work);

    /// <inheritdoc/>
    public IPendingRead ReadLater(Tensor t) => _inner.ReadLater(t);

    private sealed class Timed(IPreparedOp inner, List<OpTiming> calls) : IPreparedOp
    {
        public Op Op => inner.Op;

        public bool WritesWholeOutput => inner.WritesWholeOutput;

        public void RunInto(Tensor output, params Tensor[] activations)
        {
            long start = Stopwatch.GetTimestamp();
            inner.RunInto(output, activations);
            calls.Add(new OpTiming(inner.Op, activations[0].Shape, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
        }

        public Tensor Run(params Tensor[] activations)
        {
            long start = Stopwatch.GetTimestamp();
            var y = inner.Run(activations);
            calls.Add(new OpTiming(inner.Op, activations[0].Shape, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            return y;
        }

        public void Dispose() => inner.Dispose();
    }
}
