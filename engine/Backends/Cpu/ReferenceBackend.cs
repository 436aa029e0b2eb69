using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The oracle: plain scalar loops that follow each op's definition, accumulating in double.
/// Never optimized; the fast CPU path and the CUDA kernels are checked against it.
/// </summary>
public sealed class ReferenceBackend : IBackend
{
    public static readonly ReferenceBackend Instance = new();

    public string Name => "cpu-reference";

    public bool Supports(Op op) =>
        op is Conv2dOp or ConvTranspose2dOp or AffineOp or ReluOp or SubtractOp or ClampOp or ResizeBilinearOp or AnnealedMeanOp
            or MaxPool2dOp or ConcatOp or OpticalFlowOp or WarpOp or FlowCheckOp or ScreenedPoissonOp or FuseDistributionsOp;

    public IPreparedOp Prepare(Op op, params Tensor[] parameters)
    {
        BackendExtensions.CheckParameters(op, parameters);
        return op is OpticalFlowOp or WarpOp or FlowCheckOp or ScreenedPoissonOp or FuseDistributionsOp ? new CpuTemporalOp(op, fast: false) : new Prepared(op, parameters);
    }

    private sealed record Prepared(Op Op, Tensor[] Parameters) : IPreparedOp
    {
        public void RunInto(Tensor y, params Tensor[] x)
        {
            BackendExtensions.CheckOutput(Op, y, x);
            switch (Op)
            {
                case Conv2dOp c: Conv(c, x[0], Parameters[0], c.HasBias ? Parameters[1] : null, y); break;
                case ConvTranspose2dOp t: ConvTranspose(t, x[0], Parameters[0], t.HasBias ? Parameters[1] : null, y); break;
                case AffineOp a: Affine(a, x[0], Parameters[0], Parameters[1], y); break;
                case ResizeBilinearOp r: Resize(r, x[0], y); break;
                case AnnealedMeanOp m: AnnealedMean(m, x[0], Parameters[0], y); break;
                case MaxPool2dOp p: MaxPool(p, x[0], y); break;
                case ConcatOp:
                    for (int n = 0; n < y.Shape.N; n++)
                    for (int c = 0; c < y.Shape.C; c++)
                    for (int i = 0; i < y.Shape.H; i++)
                    for (int j = 0; j < y.Shape.W; j++)
                        y.At(n, c, i, j) = c < x[0].Shape.C ? x[0].At(n, c, i, j) : x[1].At(n, c - x[0].Shape.C, i, j);
                    break;
                case ReluOp: Map(x[0], y, v => Math.Max(v, 0f)); break;
                case ClampOp cl: Map(x[0], y, v => Math.Min(Math.Max(v, cl.Min), cl.Max)); break;
                case SubtractOp:
                    for (int i = 0; i < y.Length; i++) y.Data[i] = x[0].Data[i] - x[1].Data[i];
                    break;
                default: throw new NotSupportedException($"{Op.GetType().Name} on {ReferenceBackend.Instance.Name}");
            }
        }
    }

    private static void Conv(Conv2dOp op, Tensor x, Tensor w, Tensor? b, Tensor y)
    {
        var s = x.Shape;
        var o = y.Shape;
        for (int n = 0; n < s.N; n++)
        for (int co = 0; co < o.C; co++)
        for (int oy = 0; oy < o.H; oy++)
        for (int ox = 0; ox < o.W; ox++)
        {
            double acc = b is null ? 0 : b.Data[co];
            for (int ci = 0; ci < s.C; ci++)
            for (int ky = 0; ky < op.KernelH; ky++)
            {
                int iy = oy * op.Stride - op.Padding + ky * op.Dilation;
                if (iy < 0 || iy >= s.H) continue;
                for (int kx = 0; kx < op.KernelW; kx++)
                {
                    int ix = ox * op.Stride - op.Padding + kx * op.Dilation;
                    if (ix < 0 || ix >= s.W) continue;
                    acc += (double)x.At(n, ci, iy, ix) * w.At(co, ci, ky, kx);
                }
            }
            y.At(n, co, oy, ox) = Activate((float)acc, op.Activation);
        }
    }

    /// <summary>Written as the gather form of the definition: each output sums the inputs that scatter onto it.</summary>
    private static void ConvTranspose(ConvTranspose2dOp op, Tensor x, Tensor w, Tensor? b, Tensor y)
    {
        var s = x.Shape;
        var o = y.Shape;
        for (int n = 0; n < s.N; n++)
        for (int co = 0; co < o.C; co++)
        for (int oy = 0; oy < o.H; oy++)
        for (int ox = 0; ox < o.W; ox++)
        {
            double acc = b is null ? 0 : b.Data[co];
            for (int ky = 0; ky < op.Kernel; ky++)
            {
                int ty = oy + op.Padding - ky;
                if (ty < 0 || ty % op.Stride != 0 || ty / op.Stride >= s.H) continue;
                for (int kx = 0; kx < op.Kernel; kx++)
                {
                    int tx = ox + op.Padding - kx;
                    if (tx < 0 || tx % op.Stride != 0 || tx / op.Stride >= s.W) continue;
                    for (int ci = 0; ci < s.C; ci++)
                        acc += (double)x.At(n, ci, ty / op.Stride, tx / op.Stride) * w.At(ci, co, ky, kx);
                }
            }
            y.At(n, co, oy, ox) = Activate((float)acc, op.Activation);
        }
    }

    /// <summary>PyTorch's source-index rule (upsample_bilinear2d), clamped at the borders.</summary>
    private static void Resize(ResizeBilinearOp op, Tensor x, Tensor y)
    {
        var s = x.Shape;
        for (int n = 0; n < s.N; n++)
        for (int c = 0; c < s.C; c++)
        for (int oy = 0; oy < op.OutH; oy++)
        {
            var (y0, y1, fy) = SourceIndex(oy, s.H, op.OutH, op.AlignCorners);
            for (int ox = 0; ox < op.OutW; ox++)
            {
                var (x0, x1, fx) = SourceIndex(ox, s.W, op.OutW, op.AlignCorners);
                double top = x.At(n, c, y0, x0) * (1 - fx) + x.At(n, c, y0, x1) * fx;
                double bottom = x.At(n, c, y1, x0) * (1 - fx) + x.At(n, c, y1, x1) * fx;
                y.At(n, c, oy, ox) = (float)(top * (1 - fy) + bottom * fy);
            }
        }
    }

    internal static (int I0, int I1, double Frac) SourceIndex(int o, int inSize, int outSize, bool alignCorners)
    {
        double src = alignCorners
            ? (outSize > 1 ? o * (double)(inSize - 1) / (outSize - 1) : 0)
            : Math.Max((o + 0.5) * inSize / outSize - 0.5, 0);
        int i0 = Math.Min((int)src, inSize - 1);
        int i1 = Math.Min(i0 + 1, inSize - 1);
        return (i0, i1, src - i0);
    }

    private static void AnnealedMean(AnnealedMeanOp op, Tensor z, Tensor centres, Tensor y)
    {
        var s = z.Shape;
        for (int n = 0; n < s.N; n++)
        for (int i = 0; i < s.H; i++)
        for (int j = 0; j < s.W; j++)
        {
            double max = double.NegativeInfinity;
            for (int q = 0; q < op.Bins; q++) max = Math.Max(max, z.At(n, q, i, j));
            double sum = 0, a = 0, b = 0;
            for (int q = 0; q < op.Bins; q++)
            {
                double e = Math.Exp((z.At(n, q, i, j) - max) / op.Temperature);
                sum += e;
                a += e * centres.Data[q];
                b += e * centres.Data[op.Bins + q];
            }
            y.At(n, 0, i, j) = (float)(a / sum);
            y.At(n, 1, i, j) = (float)(b / sum);
        }
    }

    private static void MaxPool(MaxPool2dOp op, Tensor x, Tensor y)
    {
        var o = y.Shape;
        for (int n = 0; n < o.N; n++)
        for (int c = 0; c < o.C; c++)
        for (int i = 0; i < o.H; i++)
        for (int j = 0; j < o.W; j++)
        {
            float best = float.NegativeInfinity;
            for (int ky = 0; ky < op.Kernel; ky++)
            for (int kx = 0; kx < op.Kernel; kx++)
            {
                float v = x.At(n, c, i * op.Stride + ky, j * op.Stride + kx);
                if (v > best || float.IsNaN(v)) best = v;
            }
            y.At(n, c, i, j) = best;
        }
    }

    private static void Affine(AffineOp op, Tensor x, Tensor scale, Tensor shift, Tensor y)
    {
        var s = x.Shape;
        for (int n = 0; n < s.N; n++)
        for (int c = 0; c < s.C; c++)
        for (int i = 0; i < s.H; i++)
        for (int j = 0; j < s.W; j++)
            y.At(n, c, i, j) = Activate((float)((double)x.At(n, c, i, j) * scale.Data[c] + shift.Data[c]), op.Activation);
    }

    private static void Map(Tensor x, Tensor y, Func<float, float> f)
    {
        for (int i = 0; i < y.Length; i++) y.Data[i] = f(x.Data[i]);
    }

    private static float Activate(float v, Activation a) => a == Activation.Relu ? Math.Max(v, 0f) : v;
}
