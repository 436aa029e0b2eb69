using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The oracle: plain scalar loops that follow each op's definition, accumulating in double.
/// Never optimized; the fast CPU path and the CUDA kernels are checked against it.
/// </summary>
public sealed class ReferenceBackend : IBackend
{
    /// <summary>The one instance (the backend holds no state of its own).</summary>
    public static readonly ReferenceBackend Instance = new();

    /// <inheritdoc/>
    public string Name => "cpu-reference";

    /// <summary>Every op: the oracle has no gaps.</summary>
    public bool Supports(Op op) => true;

    /// <inheritdoc/>
    public IPreparedOp Prepare(Op op, params Tensor[] parameters)
    {
        BackendExtensions.CheckParameters(op, parameters);
        return op switch
        {
            ConvChainOp chain => new ConvChain(this, chain, parameters),
            OpticalFlowOp or WarpOp or FlowCheckOp or ModeHoldOp or ScreenedPoissonOp or FuseDistributionsOp => new CpuTemporalOp(op, fast: false),
            _ => new Prepared(op, parameters),
        };
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
                    Fill(y, (n, c, i, j) => c < x[0].Shape.C ? x[0].At(n, c, i, j) : x[1].At(n, c - x[0].Shape.C, i, j));
                    break;
                case ReluOp: Map(x[0], y, v => Math.Max(v, 0f)); break;
                case ClampOp cl: Map(x[0], y, v => Math.Min(Math.Max(v, cl.Min), cl.Max)); break;
                case SubtractOp:
                    for (int i = 0; i < y.Length; i++) y.Data[i] = x[0].Data[i] - x[1].Data[i];
                    break;
                case AddOp a: Fill(y, (n, c, i, j) => x[0].At(n, c, i, j) + x[1].At(n, c + a.SecondChannelOffset, i, j)); break;
                case SliceChannelsOp sl: Fill(y, (n, c, i, j) => x[0].At(n, c + sl.Start, i, j)); break;
                case Conv2dBackwardDataOp d: ConvBackwardData(d.Forward, x[0], Parameters[0], y); break;
                case Conv2dBackwardWeightOp w: ConvBackwardWeight(w.Forward, x[0], x[1], y); break;
                case Conv2dBackwardBiasOp: BiasBackward(x[0], y); break;
                case ReluBackwardOp: Zip(x[0], x[1], y, (g, o) => o > 0 ? g : 0f); break;
                case MaxPool2dBackwardOp mp: MaxPoolBackward(mp.Forward, x[0], x[1], y); break;
                case ResizeBilinearBackwardOp rb: ResizeBackward(rb.Forward, x[0], y); break;
                case PriorLossOp l: y.Data[0] = (float)PriorLoss(l.Kind, l.ValidH, l.ValidW, x[0], x[1], x[2], null); break;
                case PriorLossBackwardOp lb: PriorLoss(lb.Kind, lb.ValidH, lb.ValidW, x[0], x[1], x[2], y); break;
                case AdamStepOp adam: AdamStep(adam, x[0], x[1], x[2], x[3], x[4], y); break;
                // Lab's own conversions of whole planes: its per-pixel formulas in double.
                case RgbToLabOp: Color.Lab.FromRgb(x[0], y); break;
                case LabToRgbOp: Color.Lab.ToRgb(x[0], y); break;
                case RecolorOp: Color.Lab.Recolor(x[0], x[1], y); break;
                case ChannelMomentsOp: ChannelMoments(x[0], y); break;
                case ExpandChannelsOp: Fill(y, (n, c, i, j) => x[0].At(n, 0, i, j)); break;
                case PadReflectOp: Fill(y, (n, c, i, j) => x[0].At(n, c, Mirror(i, x[0].Shape.H), Mirror(j, x[0].Shape.W))); break;
                case CropOp cr: Fill(y, (n, c, i, j) => x[0].At(n, c, cr.Top + i, cr.Left + j)); break;
                case PasteOp pa:
                {
                    var patch = x[1].Shape;
                    Fill(y, (n, c, i, j) => i >= pa.Top && i < pa.Top + patch.H && j >= pa.Left && j < pa.Left + patch.W
                        ? x[1].At(n, c, i - pa.Top, j - pa.Left)
                        : x[0].At(n, c, i, j));
                    break;
                }
                case ResizeBicubicOp b: ResizeBicubic(b, x[0], y); break;
                case DecimateOp d: Fill(y, (n, c, i, j) => BoxMean(x[0], n, c, i, j, d.Factor)); break;
                case Luma8Op:
                    Fill(y, (n, c, i, j) => Luma8Op.Luma(Luma8Op.Level(x[0].At(n, 0, i, j)), Luma8Op.Level(x[0].At(n, 1, i, j)), Luma8Op.Level(x[0].At(n, 2, i, j))));
                    break;
                case ThumbnailOp: Fill(y, (n, c, i, j) => ThumbnailMean(x[0], y.Shape, n, i, j)); break;
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

    /// <summary>Per channel, in double: the mean, then the mean squared deviation from it (frames, rows, columns in order).</summary>
    internal static void ChannelMoments(Tensor x, Tensor y)
    {
        var s = x.Shape;
        int plane = s.H * s.W;
        long count = (long)s.N * plane;
        for (int c = 0; c < s.C; c++)
        {
            double sum = 0;
            for (int n = 0; n < s.N; n++)
            for (int i = 0; i < plane; i++) sum += x.Data[(n * s.C + c) * plane + i];
            double mean = sum / count, squares = 0;
            for (int n = 0; n < s.N; n++)
            for (int i = 0; i < plane; i++)
            {
                double d = x.Data[(n * s.C + c) * plane + i] - mean;
                squares += d * d;
            }
            y.Data[c] = (float)mean;
            y.Data[s.C + c] = (float)(squares / count);
        }
    }

    /// <summary>The mean of decimation block (i, j) of plane (n, c), summed in double in row-major order (<see cref="DecimateOp"/>).</summary>
    private static float BoxMean(Tensor x, int n, int c, int i, int j, int factor)
    {
        var s = x.Shape;
        double sum = 0;
        int count = 0;
        for (int a = i * factor; a < Math.Min(s.H, (i + 1) * factor); a++)
        for (int b = j * factor; b < Math.Min(s.W, (j + 1) * factor); b++, count++)
            sum += x.At(n, c, a, b);
        return (float)(sum / count);
    }

    /// <summary>Thumbnail pixel (i, j) of frame n: its box's mean over all channels, summed in double over rows, columns, channels (<see cref="ThumbnailOp"/>).</summary>
    private static float ThumbnailMean(Tensor x, Shape thumb, int n, int i, int j)
    {
        var s = x.Shape;
        double sum = 0;
        int count = 0;
        for (int a = i * s.H / thumb.H; a < (i + 1) * s.H / thumb.H; a++)
        for (int b = j * s.W / thumb.W; b < (j + 1) * s.W / thumb.W; b++)
        for (int c = 0; c < s.C; c++, count++)
            sum += x.At(n, c, a, b);
        return (float)(sum / count);
    }

    /// <summary>The mirrored source index of padded position i (edge not repeated, folded again past twice the size).</summary>
    internal static int Mirror(int i, int size)
    {
        if (size == 1) return 0;
        int period = 2 * (size - 1);
        i %= period;
        return i < size ? i : period - i;
    }

    private const double CubicA = -0.5;

    /// <summary>
    /// PIL's antialiased bicubic taps for each output index: the kernel stretched by the scale when
    /// shrinking, normalized to sum 1; the first source index and the weights, in double.
    /// </summary>
    internal static (int[] Start, double[][] Weights) BicubicWeights(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1);
        double support = 2 * filterScale;
        var start = new int[outSize];
        var weights = new double[outSize][];
        for (int i = 0; i < outSize; i++)
        {
            double centre = (i + 0.5) * scale;
            int lo = Math.Max((int)(centre - support + 0.5), 0);
            int hi = Math.Min((int)(centre + support + 0.5), inSize);
            var w = new double[Math.Max(hi - lo, 1)];
            double sum = 0;
            for (int j = 0; j < hi - lo; j++) sum += w[j] = Cubic((j + lo - centre + 0.5) / filterScale);
            for (int j = 0; j < w.Length; j++) w[j] = sum != 0 ? w[j] / sum : 1.0 / w.Length;
            start[i] = Math.Min(lo, inSize - 1);
            weights[i] = w;
        }
        return (start, weights);
    }

    private static double Cubic(double x)
    {
        x = Math.Abs(x);
        if (x < 1) return ((CubicA + 2) * x - (CubicA + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * CubicA;
        return 0;
    }

    /// <summary>Across every row into float, then down every column, each sum in double; clamped to [0, 1] at the end.</summary>
    private static void ResizeBicubic(ResizeBicubicOp op, Tensor x, Tensor y)
    {
        var s = x.Shape;
        var (rowStart, rowWeights) = BicubicWeights(s.H, op.OutH);
        var (colStart, colWeights) = BicubicWeights(s.W, op.OutW);
        var across = new float[s.H, op.OutW];
        for (int n = 0; n < s.N; n++)
        for (int c = 0; c < s.C; c++)
        {
            for (int r = 0; r < s.H; r++)
            for (int o = 0; o < op.OutW; o++)
            {
                double acc = 0;
                for (int j = 0; j < colWeights[o].Length; j++) acc += colWeights[o][j] * x.At(n, c, r, colStart[o] + j);
                across[r, o] = (float)acc;
            }
            for (int o = 0; o < op.OutH; o++)
            for (int col = 0; col < op.OutW; col++)
            {
                double acc = 0;
                for (int j = 0; j < rowWeights[o].Length; j++) acc += rowWeights[o][j] * across[rowStart[o] + j, col];
                y.At(n, c, o, col) = (float)Math.Clamp(acc, 0, 1);
            }
        }
    }

    /// <summary>y[n, c, i, j] = f(n, c, i, j) for every element of an NCHW tensor.</summary>
    private static void Fill(Tensor y, Func<int, int, int, int, float> f)
    {
        for (int n = 0; n < y.Shape.N; n++)
        for (int c = 0; c < y.Shape.C; c++)
        for (int i = 0; i < y.Shape.H; i++)
        for (int j = 0; j < y.Shape.W; j++)
            y.At(n, c, i, j) = f(n, c, i, j);
    }

    private static void Zip(Tensor a, Tensor b, Tensor y, Func<float, float, float> f)
    {
        for (int i = 0; i < y.Length; i++) y.Data[i] = f(a.Data[i], b.Data[i]);
    }

    /// <summary>Each input element gathers the outputs its taps reached, times the weight of that tap.</summary>
    private static void ConvBackwardData(Conv2dOp op, Tensor dy, Tensor w, Tensor dx)
    {
        var s = dx.Shape;
        var o = dy.Shape;
        for (int n = 0; n < s.N; n++)
        for (int ci = 0; ci < s.C; ci++)
        for (int iy = 0; iy < s.H; iy++)
        for (int ix = 0; ix < s.W; ix++)
        {
            double acc = 0;
            for (int co = 0; co < o.C; co++)
            for (int ky = 0; ky < op.KernelH; ky++)
            {
                int ty = iy + op.Padding - ky * op.Dilation;
                if (ty < 0 || ty % op.Stride != 0 || ty / op.Stride >= o.H) continue;
                for (int kx = 0; kx < op.KernelW; kx++)
                {
                    int tx = ix + op.Padding - kx * op.Dilation;
                    if (tx < 0 || tx % op.Stride != 0 || tx / op.Stride >= o.W) continue;
                    acc += (double)dy.At(n, co, ty / op.Stride, tx / op.Stride) * w.At(co, ci, ky, kx);
                }
            }
            dx.At(n, ci, iy, ix) = (float)acc;
        }
    }

    private static void ConvBackwardWeight(Conv2dOp op, Tensor x, Tensor dy, Tensor dw)
    {
        var s = x.Shape;
        var o = dy.Shape;
        for (int co = 0; co < op.OutChannels; co++)
        for (int ci = 0; ci < op.InChannels; ci++)
        for (int ky = 0; ky < op.KernelH; ky++)
        for (int kx = 0; kx < op.KernelW; kx++)
        {
            double acc = 0;
            for (int n = 0; n < s.N; n++)
            for (int oy = 0; oy < o.H; oy++)
            {
                int iy = oy * op.Stride - op.Padding + ky * op.Dilation;
                if (iy < 0 || iy >= s.H) continue;
                for (int ox = 0; ox < o.W; ox++)
                {
                    int ix = ox * op.Stride - op.Padding + kx * op.Dilation;
                    if (ix >= 0 && ix < s.W) acc += (double)dy.At(n, co, oy, ox) * x.At(n, ci, iy, ix);
                }
            }
            dw.At(co, ci, ky, kx) = (float)acc;
        }
    }

    private static void BiasBackward(Tensor dy, Tensor db)
    {
        var o = dy.Shape;
        for (int c = 0; c < o.C; c++)
        {
            double acc = 0;
            for (int n = 0; n < o.N; n++)
            for (int i = 0; i < o.H; i++)
            for (int j = 0; j < o.W; j++)
                acc += dy.At(n, c, i, j);
            db.Data[c] = (float)acc;
        }
    }

    private static void MaxPoolBackward(MaxPool2dOp op, Tensor x, Tensor dy, Tensor dx)
    {
        var o = dy.Shape;
        var sums = new double[dx.Length];
        for (int n = 0; n < o.N; n++)
        for (int c = 0; c < o.C; c++)
        for (int i = 0; i < o.H; i++)
        for (int j = 0; j < o.W; j++)
        {
            // The forward's scan: the first element, then any greater one or NaN (so the last NaN wins).
            int at = -1;
            float best = 0;
            for (int ky = 0; ky < op.Kernel; ky++)
            for (int kx = 0; kx < op.Kernel; kx++)
            {
                int iy = i * op.Stride + ky, ix = j * op.Stride + kx;
                float v = x.At(n, c, iy, ix);
                if (at >= 0 && !(v > best) && !float.IsNaN(v)) continue;
                best = v;
                at = ((n * x.Shape.C + c) * x.Shape.H + iy) * x.Shape.W + ix;
            }
            sums[at] += dy.At(n, c, i, j);
        }
        for (int i = 0; i < dx.Length; i++) dx.Data[i] = (float)sums[i];
    }

    /// <summary>Every output's gradient shared among its four sources with the forward's weights, summed in double.</summary>
    private static void ResizeBackward(ResizeBilinearOp op, Tensor dy, Tensor dx)
    {
        var s = dx.Shape;
        var sums = new double[dx.Length];
        for (int n = 0; n < s.N; n++)
        for (int c = 0; c < s.C; c++)
        for (int oy = 0; oy < op.OutH; oy++)
        {
            var (y0, y1, fy) = SourceIndex(oy, s.H, op.OutH, op.AlignCorners);
            for (int ox = 0; ox < op.OutW; ox++)
            {
                var (x0, x1, fx) = SourceIndex(ox, s.W, op.OutW, op.AlignCorners);
                double g = dy.At(n, c, oy, ox);
                int plane = (n * s.C + c) * s.H;
                sums[(plane + y0) * s.W + x0] += g * (1 - fy) * (1 - fx);
                sums[(plane + y0) * s.W + x1] += g * (1 - fy) * fx;
                sums[(plane + y1) * s.W + x0] += g * fy * (1 - fx);
                sums[(plane + y1) * s.W + x1] += g * fy * fx;
            }
        }
        for (int i = 0; i < dx.Length; i++) dx.Data[i] = (float)sums[i];
    }

    /// <summary>
    /// The prior's loss, straight from specs/models.md §3; writes the gradient when <paramref name="grad"/> is given.
    /// Which head trains a pixel is decided on the float differences the net's output gives.
    /// </summary>
    private static double PriorLoss(PriorLossKind kind, int validH, int validW, Tensor o, Tensor input, Tensor p, Tensor? grad)
    {
        int h = o.Shape.H, w = o.Shape.W;
        double count = 3.0 * validH * validW, main = 0, minor = 0;
        if (grad is not null) Array.Clear(grad.Data, 0, grad.Length);
        for (int i = 0; i < validH; i++)
        for (int j = 0; j < validW; j++)
        {
            bool mainTrains = true;
            if (kind == PriorLossKind.Irt)
            {
                double dMain = 0, dMinor = 0;
                for (int c = 0; c < 3; c++)
                {
                    double scale = input.At(0, c, i, j) + Training.PriorLoss.IrtInputOffset;
                    dMain = Math.Max(dMain, Math.Abs(o.At(0, c, i, j) - p.At(0, c, i, j)) / scale);
                    dMinor = Math.Max(dMinor, Math.Abs(o.At(0, c + 3, i, j) - p.At(0, c, i, j)) / scale);
                }
                mainTrains = dMain < dMinor;
            }
            float unit = (float)(1 / count);
            for (int c = 0; c < 3; c++)
            {
                float dm = o.At(0, c, i, j) - p.At(0, c, i, j);
                if (mainTrains)
                {
                    main += Math.Abs(dm);
                    if (grad is not null) grad.At(0, c, i, j) = Math.Sign(dm) * unit;
                }
                if (kind == PriorLossKind.L1) continue;
                float dn = o.At(0, c + 3, i, j) - p.At(0, c, i, j);
                float weight = kind == PriorLossKind.IrtInit ? Training.PriorLoss.IrtInitMinorWeight : mainTrains ? 0 : 1;
                if (weight == 0) continue;
                minor += Math.Abs(dn);
                if (grad is not null) grad.At(0, c + 3, i, j) = Math.Sign(dn) * unit * weight;
            }
        }
        return kind == PriorLossKind.IrtInit ? (main + Training.PriorLoss.IrtInitMinorWeight * minor) / count : (main + minor) / count;
    }

    /// <summary>PyTorch's Adam, one float operation at a time in its order (no fused multiply-add).</summary>
    private static void AdamStep(AdamStepOp op, Tensor p, Tensor g, Tensor m, Tensor v, Tensor corrections, Tensor y)
    {
        float stepSize = corrections.Data[0], correction = corrections.Data[1];
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g.Data[i];
            float mi = m.Data[i] * op.Beta1 + gi * (1 - op.Beta1);
            float vi = v.Data[i] * op.Beta2 + gi * gi * (1 - op.Beta2);
            m.Data[i] = mi;
            v.Data[i] = vi;
            float denom = MathF.Sqrt(vi) / correction + op.Epsilon;
            y.Data[i] = p.Data[i] - stepSize * (mi / denom);
        }
    }

    private static float Activate(float v, Activation a) => a == Activation.Relu ? Math.Max(v, 0f) : v;
}
