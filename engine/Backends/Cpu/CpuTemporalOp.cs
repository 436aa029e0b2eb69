using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The temporal ops (<see cref="OpticalFlowOp"/>, <see cref="WarpOp"/>, <see cref="FlowCheckOp"/>,
/// <see cref="ModeHoldOp"/>, <see cref="ScreenedPoissonOp"/>, <see cref="FuseDistributionsOp"/>) on the CPU, frame by frame.
/// The reference runs the scalar implementations on one thread; the fast backend their SIMD
/// counterparts, over rows in parallel where that pays.
/// </summary>
internal sealed class CpuTemporalOp(Op op, bool fast) : IPreparedOp
{
    public Op Op { get; } = op;

    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] x)
    {
        BackendExtensions.CheckOutput(Op, y, x);
        var s = y.Shape;
        int plane = s.H * s.W, inC = x[0].Shape.C, flowC = x[1].Shape.C;
        int lastC = x[^1].Shape.C;
        for (int n = 0; n < s.N; n++)
        {
            var a = x[0].Data.AsMemory(n * inC * plane, inC * plane);
            var b = x[1].Data.AsMemory(n * flowC * plane, flowC * plane);
            var o = y.Data.AsMemory(n * s.C * plane, s.C * plane);
            var last = x[^1].Data.AsMemory(n * lastC * plane, lastC * plane);
            switch (Op)
            {
                case OpticalFlowOp f:
                    (fast ? new FastDisFlow(f) : new DisFlow(f)).Compute(a.Span, b.Span, s.W, s.H, o.Span);
                    break;
                case WarpOp:
                    Rows(s.H, (r0, r1) => FlowSampling.WarpRows(a.Span, b.Span, o.Span, inC, s.H, s.W, r0, r1));
                    break;
                case FlowCheckOp:
                    Rows(s.H, (r0, r1) => FlowSampling.CheckRows(a.Span, b.Span, o.Span, s.H, s.W, r0, r1));
                    break;
                case ModeHoldOp mh:
                {
                    var table = ModeHold.Table(mh, a.Span, b.Span, last.Span, inC, plane);
                    Rows(s.H, (r0, r1) => ModeHold.Rows(mh, a.Span, b.Span, last.Span, table, o.Span, inC, s.H, s.W, r0, r1));
                    break;
                }
                case ScreenedPoissonOp sp:
                    (fast ? new FastScreenedPoisson(sp) : new ScreenedPoisson(sp)).Run(a.Span, b.Span, last.Span, o.Span, s.C, s.H, s.W);
                    break;
                case FuseDistributionsOp fd when fast:
                    DistributionFusion.Fast(a.Span, b.Span, last.Span, o.Span, s.C, plane, fd.Keep, fd.Temperature);
                    break;
                case FuseDistributionsOp fd:
                    DistributionFusion.Reference(a.Span, b.Span, last.Span, o.Span, s.C, plane, fd.Keep, fd.Temperature);
                    break;
                default:
                    throw new NotSupportedException($"{Op.GetType().Name} is not a temporal op");
            }
        }
    }

    /// <summary>Rows [0, height) in bands: one band on the reference, one per 16 rows in parallel on the fast path.</summary>
    private void Rows(int height, Action<int, int> band)
    {
        if (!fast)
        {
            band(0, height);
            return;
        }
        const int rows = 16;
        Parallel.For(0, (height + rows - 1) / rows, k => band(k * rows, Math.Min(height, (k + 1) * rows)));
    }
}
