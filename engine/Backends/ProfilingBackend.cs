using System.Diagnostics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>One op call seen by a <see cref="ProfilingBackend"/>: the op, its input shape, its time.</summary>
public readonly record struct OpTiming(Op Op, Shape Input, double Ms)
{
    /// <summary>Multiply-adds × 2 of the convolutions (0 for other ops), for GFLOP/s.</summary>
    public double Flops => Op switch
    {
        Conv2dOp c => 2.0 * Input.N * c.OutChannels * c.OutputSize(Input.H, c.KernelH) * c.OutputSize(Input.W, c.KernelW)
                      * c.InChannels * c.KernelH * c.KernelW,
        ConvTranspose2dOp t => 2.0 * Input.N * t.InChannels * Input.H * Input.W * t.OutChannels * t.Kernel * t.Kernel,
        _ => 0,
    };
}

/// <summary>
/// Wraps a backend and times every op call (RunInto) of the ops it prepares, in call order:
/// the per-layer profile of `reel bench`. Not thread-safe; one model at a time.
/// </summary>
public sealed class ProfilingBackend(IBackend inner) : IBackend
{
    private readonly List<OpTiming> _calls = new();

    public string Name => inner.Name;

    /// <summary>The calls since the last <see cref="Clear"/>.</summary>
    public IReadOnlyList<OpTiming> Calls => _calls;

    public void Clear() => _calls.Clear();

    public bool Supports(Op op) => inner.Supports(op);

    public IPreparedOp Prepare(Op op, params Tensor[] parameters) => new Timed(inner.Prepare(op, parameters), _calls);

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
    }
}
