using System.Diagnostics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The fast CPU path: convolutions as a packed, register-blocked SIMD GEMM on all cores
/// (<see cref="FastConv2d"/>), elementwise ops through TensorPrimitives. Checked against
/// <see cref="ReferenceBackend"/> by the backend-ops tests.
/// </summary>
public sealed class FastBackend : IBackend
{
    /// <summary>The one instance (the backend holds no state of its own).</summary>
    public static readonly FastBackend Instance = new();

    /// <summary>
    /// For training: every conv is prepared afresh each step (the weights change), so Winograd's
    /// weight transform is paid per run; the plan weighs it against the map (see <see cref="ConvPlan.Choose"/>).
    /// </summary>
    public static readonly FastBackend Training = new(ConvPath.Auto, training: true);

    /// <param name="convPath">Forces this convolution algorithm wherever it applies (tests, benchmarks); Auto lets the plan choose.</param>
    /// <param name="training">Convs are prepared for one run each (training), not for many frames.</param>
    public FastBackend(ConvPath convPath = ConvPath.Auto, bool training = false)
    {
        ConvPath = convPath;
        Trains = training;
    }

    /// <summary>The forced convolution algorithm, or Auto.</summary>
    public ConvPath ConvPath { get; }

    /// <summary>Whether convs are prepared for one run each, as training does.</summary>
    public bool Trains { get; }

    /// <summary>This backend with the same forced path, planning convs for training.</summary>
    public FastBackend ForTraining() => Trains ? this : ConvPath == ConvPath.Auto ? Training : new FastBackend(ConvPath, training: true);

    /// <summary>The algorithm for <paramref name="op"/> on maps of <paramref name="pixels"/> pixels, by this backend's forced path and use.</summary>
    internal ConvPath ChooseConv(Conv2dOp op, int pixels) => ConvPlan.Choose(op, ConvPath, Trains ? pixels : null);

    /// <summary>A convolution's path (its plan for this map size when training), the transposed conv's and the gradients'.</summary>
    public string Describe(Op op, Shape input) => op switch
    {
        Conv2dOp c => ChooseConv(c, input.H * input.W).ToString(),
        ConvTranspose2dOp => "gemm+col2im",
        Conv2dBackwardWeightOp or Conv2dBackwardBiasOp => "dot/Winograd",
        Conv2dBackwardDataOp => "ImplicitGemm",
        _ => "",
    };

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <summary>Every op; the few shapes no fast kernel covers (strided convs' gradients, other pool windows' backward, a batch's ∂W) run the reference's loops.</summary>
    public bool Supports(Op op) => true;

    /// <summary>The training twin (see <see cref="Training"/>).</summary>
    IBackend IBackend.ForTraining() => ForTraining();

    /// <inheritdoc/>
    public IPreparedOp Prepare(Op op, params Tensor[] parameters)
    {
        BackendExtensions.CheckParameters(op, parameters);
        return op switch
        {
            // Training's choice depends on the map, which the first run brings.
            Conv2dOp c when Trains => new SizedConv(c, parameters, this),
            Conv2dOp c => PrepareConv(c, parameters, ConvPlan.Choose(c, ConvPath)),
            ConvChainOp chain => new ConvChain(this, chain, parameters),
            ConvTranspose2dOp t => new FastConvTranspose2d(t, parameters[0], t.HasBias ? parameters[1] : null),
            ResizeBilinearOp r => new FastResize(r),
            AnnealedMeanOp m => new FastAnnealedMean(m, parameters[0]),
            Conv2dBackwardDataOp d when FastConvBackward.IsSame(d.Forward) => FastConvBackward.Data(d, parameters[0], this),
            Conv2dBackwardWeightOp w when FastConvBackward.IsSame(w.Forward) => new FastConvBackward.Weight(w, this),
            Conv2dBackwardBiasOp b => new FastConvBackward.Bias(b),
            ReluBackwardOp or MaxPool2dBackwardOp or ResizeBilinearBackwardOp => new FastBackward(op),
            PriorLossOp l => new FastPriorLoss(l),
            PriorLossBackwardOp l => new FastPriorLoss(l),
            AdamStepOp a => new FastAdam(a),
            ResizeBicubicOp b => new FastResizeBicubic(b),
            DecimateOp d => new FastDecimate(d),
            Luma8Op l => new FastLuma8(l),
            ThumbnailOp t => new FastThumbnail(t),
            OpticalFlowOp or WarpOp or FlowCheckOp or ModeHoldOp or ScreenedPoissonOp or FuseDistributionsOp => new CpuTemporalOp(op, fast: true),
            Conv2dBackwardDataOp or Conv2dBackwardWeightOp => ReferenceBackend.Instance.Prepare(op, parameters),
            _ => new Elementwise(op, parameters),
        };
    }

    private static IPreparedOp PrepareConv(Conv2dOp c, Tensor[] parameters, ConvPath path) =>
        PrepareConv(c, parameters[0], c.HasBias ? parameters[1] : null, path, transposedFlipped: false);

    /// <summary>
    /// <paramref name="c"/> on <paramref name="path"/>, its weights packed or transformed from
    /// <paramref name="w"/>. With <paramref name="transposedFlipped"/>, <paramref name="w"/> is the
    /// weight of the forward conv whose ∂x <paramref name="c"/> computes, read transposed in its
    /// channels and rotated 180° with no rotated copy made.
    /// </summary>
    internal static IPreparedOp PrepareConv(Conv2dOp c, Tensor w, Tensor? bias, ConvPath path, bool transposedFlipped) => path switch
    {
        ConvPath.WinogradF4 => new FastWinograd(c, w, bias, tile: 4, transposedFlipped),
        ConvPath.WinogradF2 => new FastWinograd(c, w, bias, tile: 2, transposedFlipped),
        _ when transposedFlipped => new FastConv2d(c, Sgemm.PackTransposedFlipped(w.Data, c.InChannels, c.OutChannels, c.KernelH * c.KernelW), bias, path),
        _ => new FastConv2d(c, w, bias, path),
    };

    /// <summary>A conv prepared for training: its algorithm is chosen, and its weights packed or transformed, at its first run, for that run's map.</summary>
    private sealed class SizedConv(Conv2dOp op, Tensor[] parameters, FastBackend backend) : IPreparedOp
    {
        private IPreparedOp? _inner;
        private int _pixels;

        public Op Op => op;

        public bool WritesWholeOutput => true;

        public void RunInto(Tensor output, params Tensor[] activations)
        {
            int pixels = activations[0].Shape.H * activations[0].Shape.W;
            if (_inner is null || pixels != _pixels)
            {
                _inner?.Dispose();
                (_inner, _pixels) = (PrepareConv(op, parameters, backend.ChooseConv(op, pixels)), pixels);
            }
            _inner.RunInto(output, activations);
        }

        public void Dispose() => _inner?.Dispose();
    }

    private sealed record Elementwise(Op Op, Tensor[] Parameters) : IPreparedOp
    {
        /// <summary>Each of these ops writes every output element.</summary>
        public bool WritesWholeOutput => true;

        /// <summary>The first channels of one frame are the start of its memory: that slice is a view, not a copy.</summary>
        public Tensor Run(params Tensor[] activations)
        {
            var shape = Op.InferShape(activations.Select(t => t.Shape).ToArray());
            if (Op is SliceChannelsOp { Start: 0 } && shape.N == 1) return new Tensor(shape, activations[0].Data);
            var y = Tensor.Uninitialized(shape);
            RunInto(y, activations);
            return y;
        }

        public void RunInto(Tensor y, params Tensor[] x)
        {
            BackendExtensions.CheckOutput(Op, y, x);
            switch (Op)
            {
                case ReluOp: TensorPrimitives.Max(x[0].Span, 0f, y.Span); break;
                case SubtractOp: TensorPrimitives.Subtract(x[0].Span, x[1].Span, y.Span); break;
                case AddOp add:
                {
                    int per = y.Length / y.Shape.N, perB = x[1].Length / y.Shape.N, from = add.SecondChannelOffset * y.Shape.H * y.Shape.W;
                    for (int n = 0; n < y.Shape.N; n++)
                        TensorPrimitives.Add(x[0].Data.AsSpan(n * per, per), x[1].Data.AsSpan(n * perB + from, per), y.Data.AsSpan(n * per, per));
                    break;
                }
                case SliceChannelsOp slice:
                {
                    int per = y.Length / y.Shape.N, perX = x[0].Length / y.Shape.N, from = slice.Start * y.Shape.H * y.Shape.W;
                    for (int n = 0; n < y.Shape.N; n++) Array.Copy(x[0].Data, n * perX + from, y.Data, n * per, per);
                    break;
                }
                case ConcatOp:
                    int lenA = x[0].Length / y.Shape.N, lenB = x[1].Length / y.Shape.N;
                    for (int n = 0; n < y.Shape.N; n++)
                    {
                        Array.Copy(x[0].Data, n * lenA, y.Data, n * (lenA + lenB), lenA);
                        Array.Copy(x[1].Data, n * lenB, y.Data, n * (lenA + lenB) + lenA, lenB);
                    }
                    break;
                case MaxPool2dOp p: FastMaxPool(p, x[0], y); break;
                case RgbToLabOp: FastLab.FromRgb(x[0], y); break;
                case LabToRgbOp: FastLab.ToRgb(x[0], y); break;
                case RecolorOp: FastLab.Recolor(x[0], x[1], y); break;
                // Two passes over a frame's chroma planes, a few a frame: the reference's double loops are fast enough.
                case ChannelMomentsOp: ReferenceBackend.ChannelMoments(x[0], y); break;
                case ExpandChannelsOp:
                {
                    int pixels = y.Shape.H * y.Shape.W;
                    for (int n = 0; n < y.Shape.N; n++)
                    for (int c = 0; c < y.Shape.C; c++)
                        Array.Copy(x[0].Data, n * pixels, y.Data, (n * y.Shape.C + c) * pixels, pixels);
                    break;
                }
                case PadReflectOp:
                {
                    // Row by row: a padded row is its source row, then mirrored columns.
                    var (s, o) = (x[0].Shape, y.Shape);
                    for (int p = 0; p < o.N * o.C; p++)
                    for (int i = 0; i < o.H; i++)
                    {
                        int from = (p * s.H + ReferenceBackend.Mirror(i, s.H)) * s.W, to = (p * o.H + i) * o.W;
                        Array.Copy(x[0].Data, from, y.Data, to, s.W);
                        for (int j = s.W; j < o.W; j++) y.Data[to + j] = x[0].Data[from + ReferenceBackend.Mirror(j, s.W)];
                    }
                    break;
                }
                case CropOp cr: CopyWindow(x[0], cr.Top, cr.Left, y, 0, 0, y.Shape.H, y.Shape.W); break;
                case PasteOp pa:
                    if (!ReferenceEquals(y.Data, x[0].Data)) Array.Copy(x[0].Data, y.Data, y.Length);
                    CopyWindow(x[1], 0, 0, y, pa.Top, pa.Left, x[1].Shape.H, x[1].Shape.W);
                    break;
                case ClampOp c:
                    TensorPrimitives.Max(x[0].Span, c.Min, y.Span);
                    TensorPrimitives.Min(y.Span, c.Max, y.Span);
                    break;
                case AffineOp a:
                    int plane = y.Shape.H * y.Shape.W;
                    for (int n = 0; n < y.Shape.N; n++)
                    for (int ch = 0; ch < a.Channels; ch++)
                    {
                        int o = (n * a.Channels + ch) * plane;
                        var dst = y.Data.AsSpan(o, plane);
                        TensorPrimitives.Multiply(x[0].Data.AsSpan(o, plane), Parameters[0].Data[ch], dst);
                        TensorPrimitives.Add(dst, Parameters[1].Data[ch], dst);
                        if (a.Activation == Activation.Relu) TensorPrimitives.Max(dst, 0f, dst);
                    }
                    break;
                default:
                    throw new NotSupportedException($"{Op.GetType().Name} on {Instance.Name}");
            }
        }

        /// <summary>An h×w window of every plane, row by row: src's from (sy, sx) to dst's at (dy, dx).</summary>
        private static void CopyWindow(Tensor src, int sy, int sx, Tensor dst, int dy, int dx, int h, int w)
        {
            var (s, d) = (src.Shape, dst.Shape);
            for (int p = 0; p < d.N * d.C; p++)
            for (int i = 0; i < h; i++)
                Array.Copy(src.Data, (p * s.H + sy + i) * s.W + sx, dst.Data, (p * d.H + dy + i) * d.W + dx, w);
        }

        private static unsafe void FastMaxPool(MaxPool2dOp op, Tensor x, Tensor y)
        {
            var s = x.Shape;
            var o = y.Shape;
            Parallel.For(0, o.N * o.C, plane =>
            {
                if (op.Kernel == 2 && op.Stride == 2)
                {
                    // SAFETY: output row i reads input rows 2i, 2i + 1 at columns < 2·o.W and writes o.W floats, all inside this plane.
                    Debug.Assert(2 * o.H <= s.H && 2 * o.W <= s.W && (plane + 1) * s.H * s.W <= x.Length && (plane + 1) * o.H * o.W <= y.Length);
                    fixed (float* src = &x.Data[plane * s.H * s.W])
                    fixed (float* dst = &y.Data[plane * o.H * o.W])
                        for (int i = 0; i < o.H; i++)
                            MaxPool2x2.Forward(src + 2 * i * s.W, src + (2 * i + 1) * s.W, dst + i * o.W, o.W);
                    return;
                }
                var from = x.Data.AsSpan(plane * s.H * s.W, s.H * s.W);
                var to = y.Data.AsSpan(plane * o.H * o.W, o.H * o.W);
                for (int i = 0; i < o.H; i++)
                for (int j = 0; j < o.W; j++)
                {
                    float best = float.NegativeInfinity;
                    int r0 = i * op.Stride * s.W + j * op.Stride;
                    for (int ky = 0; ky < op.Kernel; ky++)
                    for (int kx = 0; kx < op.Kernel; kx++)
                    {
                        float v = from[r0 + ky * s.W + kx];
                        if (v > best || float.IsNaN(v)) best = v;
                    }
                    to[i * o.W + j] = best;
                }
            });
        }
    }
}
