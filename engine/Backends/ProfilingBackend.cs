using System.Diagnostics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>
/// Wraps a backend and times every op call (RunInto, Run) of the ops it prepares, in call order:
/// the per-layer profile of `reel bench`. Not thread-safe; one model at a time. On a backend with a
/// device clock (a GPU) each call is timed by marks on the device's timeline before and after it,
/// the host never waiting in between, so an op's time is the device's from the end of the op before
/// to its own end (a gap where the host fell behind counts in); elsewhere by the host's clock.
/// </summary>
public sealed class ProfilingBackend : IBackend
{
    private readonly IBackend _inner;
    private readonly List<Call> _calls;

    /// <summary>Times every op that <paramref name="inner"/> runs, into <see cref="Calls"/>.</summary>
    public ProfilingBackend(IBackend inner) : this(inner, new List<Call>())
    {
    }

    private ProfilingBackend(IBackend inner, List<Call> calls) => (_inner, _calls) = (inner, calls);

    /// <inheritdoc/>
    public string Name => _inner.Name;

    /// <summary>
    /// The calls since the last <see cref="Clear"/>. Calls timed on a device take the device's times,
    /// which waits until it has run them.
    /// </summary>
    public IReadOnlyList<OpTiming> Calls
    {
        get
        {
            foreach (var c in _calls) c.Resolve();
            return _calls.Select(c => c.Timing).ToArray();
        }
    }

    /// <summary>Forgets the calls recorded so far (between a warm-up and the timed runs).</summary>
    public void Clear()
    {
        foreach (var c in _calls) c.Dispose();
        _calls.Clear();
    }

    /// <inheritdoc/>
    public bool Supports(Op op) => _inner.Supports(op);

    /// <summary>
    /// The op, timed; a chain of convolutions layer by layer on this backend, each layer timed as the row
    /// of its own that the per-layer table wants (a GPU's bf16 chain, which keeps its activations bfloat16
    /// between layers, runs unprofiled only: <c>reel bench</c>'s restore timing).
    /// </summary>
    public IPreparedOp Prepare(Op op, params Tensor[] parameters) =>
        op is ConvChainOp chain ? new ConvChain(this, chain, parameters) : new Timed(_inner.Prepare(op, parameters), _inner, _calls);

    /// <summary>The inner backend's training twin, recording into the same list.</summary>
    public IBackend ForTraining() => _inner.ForTraining() is var t && t == _inner ? this : new ProfilingBackend(t, _calls);

    /// <inheritdoc/>
    public Tensor Zeros(Shape shape) => _inner.Zeros(shape);

    /// <inheritdoc/>
    public Tensor Import(Tensor t) => _inner.Import(t);

    /// <inheritdoc/>
    public long KeepBudget(long bytes) => _inner.KeepBudget(bytes);

    /// <inheritdoc/>
    public long WorkingBudget(long bytes) => _inner.WorkingBudget(bytes);

    /// <inheritdoc/>
    public string WorkingMemory => _inner.WorkingMemory;

    /// <inheritdoc/>
    public string Describe(Op op, Shape input) => _inner.Describe(op, input);

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

    /// <inheritdoc/>
    public IDeviceMark? Mark() => _inner.Mark();

    private sealed class Timed(IPreparedOp inner, IBackend backend, List<Call> calls) : IPreparedOp
    {
        public Op Op => inner.Op;

        public bool WritesWholeOutput => inner.WritesWholeOutput;

        public void RunInto(Tensor output, params Tensor[] activations) => Time(activations, () =>
        {
            inner.RunInto(output, activations);
            return output;
        });

        public Tensor Run(params Tensor[] activations) => Time(activations, () => inner.Run(activations));

        /// <summary>Runs the op between two device marks (none on a CPU) and the host's clock, and records the call.</summary>
        private Tensor Time(Tensor[] activations, Func<Tensor> run)
        {
            var before = backend.Mark();
            long start = Stopwatch.GetTimestamp();
            Tensor y;
            try
            {
                y = run();
            }
            catch
            {
                before?.Dispose();
                throw;
            }
            calls.Add(new Call(new OpTiming(inner.Op, activations[0].Shape, Stopwatch.GetElapsedTime(start).TotalMilliseconds, Bytes(y, activations)), before, backend.Mark()));
            return y;
        }

        public void Dispose() => inner.Dispose();

        /// <summary>What the op must move at least: its activations read and its output written, once each.</summary>
        private static long Bytes(Tensor output, Tensor[] activations) => (output.Shape.ElementCount + activations.Sum(a => a.Shape.ElementCount)) * sizeof(float);
    }

    /// <summary>One call, with the device marks around it until its device time is read.</summary>
    private sealed class Call(OpTiming timing, IDeviceMark? before, IDeviceMark? after) : IDisposable
    {
        public OpTiming Timing { get; private set; } = timing;

        public void Resolve()
        {
            if (before is null || after is null || Timing.OnDevice) return;
            Timing = Timing with { Ms = after.MillisecondsSince(before), OnDevice = true };
            Dispose();
        }

        public void Dispose()
        {
            before?.Dispose();
            after?.Dispose();
        }
    }
}
