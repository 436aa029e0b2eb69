using Reel.Emulation;
using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Cli.Commands;

/// <summary>One check of `reel selftest`: its worst relative L2 error over its shapes and the bound it had to meet.</summary>
public sealed record SelfTestCase(string Name, double MaxRelativeError, double Tolerance, bool Ok, string Detail);

/// <summary>
/// `reel selftest`'s checks of a CUDA backend (a GPU, or the emulated device): every op of the op
/// set, forward and backward, and every kernel no op reaches, on fresh random data in device
/// memory with NaN sentinels after each output, against the CPU reference (double sums); then
/// DnCNN-B, the ECCV16 colorizer (random weights in the official layouts) and one Deep Video Prior
/// training step against the fast CPU backend. An error is the relative L2 norm ‖a − e‖ / ‖e‖.
/// Bounds: fp32 1e-5; one convolution 2e-3 in TF32 and 1e-2 in bf16, the networks and the prior's
/// gradients more (<see cref="NetworkBound"/>, <see cref="GradientBound"/>). How the convolutions take
/// float operands (whole, TF32 rounded or truncated, bfloat16) is seen and said (<see cref="OperandRounding"/>).
/// Sizes reach a 1080p plane on a GPU and stay small on the emulator, where a case takes seconds.
/// </summary>
public sealed class SelfTest
{
    private const int Sentinels = 64;
    private const uint SentinelBits = 0x7fc0beef;

    private readonly CudaBackend _gpu;
    private readonly bool _large;
    private readonly Action<SelfTestCase>? _report;
    private readonly List<SelfTestCase> _cases = new();
    private int _seed = 1;

    private SelfTest(CudaBackend gpu, bool large, Action<SelfTestCase>? report) => (_gpu, _large, _report) = (gpu, large, report);

    /// <summary>Runs every check; <paramref name="large"/> (a real GPU) adds the 1080p sizes. Each result is reported as it comes.</summary>
    public static IReadOnlyList<SelfTestCase> Run(CudaBackend gpu, bool large, Action<SelfTestCase>? report = null)
    {
        var test = new SelfTest(gpu, large, report);
        test.Ops();
        test.OperandRounding();
        test.Kernels();
        test.Models();
        return test._cases;
    }

    private double Fp32 => 1e-5;

    /// <summary>
    /// DIS on the device does the reference's arithmetic without contractions, but a patch search that
    /// lands a hair apart on a flat patch moves a whole patch's flow: a little more room than fp32's.
    /// </summary>
    private double FlowBound => 1e-4;

    /// <summary>The bound for one convolution's result in the backend's precision.</summary>
    private double ConvBound => _gpu.Precision switch { Precision.Tf32 => 2e-3, Precision.Bf16 => 1e-2, _ => 1e-5 };

    /// <summary>
    /// The bound for a network's result. In fp32 a convolution's: the CPU and the GPU differ only in the
    /// order of their sums. In TF32 and bf16 each of DnCNN-B's 20 layers compounds the rounding, by an
    /// amount that depends on the random weights. Over 30 seeds on the emulated cuDNN, DnCNN-B's relative
    /// error was 5.2e-4 to 3.5e-3 in TF32 rounded to nearest (median 1.1e-3) and 4.4e-3 to 2.2e-2 in bf16
    /// (median 8.5e-3); over 15 seeds with TF32 truncated, as a GPU's tensor cores may take it, 2.5e-3 to
    /// 2.2e-2. So the parity targets (2e-3, 1e-2) fail on correct code for some seeds: they are the
    /// parity stage's to measure, on fixed and trained weights beside PyTorch's. Here 5e-2 in both, which
    /// a wrongly wired network (an error of about 1) still fails.
    /// </summary>
    private double NetworkBound => _gpu.Precision is Precision.Tf32 or Precision.Bf16 ? 5e-2 : ConvBound;

    private void Ops()
    {
        var plane = _large ? new Shape(1, 1, 1080, 1920) : new Shape(1, 1, 45, 80);
        var rgbPlane = new Shape(1, 3, plane.H, plane.W);
        var elementwise = new[] { new Shape(1, 1, 1, 1), new Shape(2, 3, 5, 7), new Shape(1, 64, 17, 33), plane };

        var convs = new List<(Conv2dOp Op, Shape X)>
        {
            (new Conv2dOp(3, 8, 3, 3, 1, 1, 1, HasBias: true, Activation.Relu), new Shape(1, 3, 9, 13)),
            (new Conv2dOp(16, 5, 4, 4, 2, 1), new Shape(2, 16, 10, 9)),
            (new Conv2dOp(5, 7, 3, 3, 1, 2, 2), new Shape(1, 5, 11, 8)),
            (new Conv2dOp(64, 1, 3, 3, 1, 1), new Shape(1, 64, 12, 16)),
            (new Conv2dOp(32, 6, 1, 1), new Shape(1, 32, 8, 8)),
            (new Conv2dOp(32, 32, 3, 3, 1, 1, HasBias: false, Activation: Activation.Relu), _large ? new Shape(1, 32, 128, 128) : new Shape(1, 32, 16, 16)),
            (new Conv2dOp(1, 4, 3, 3, 1, 1), plane),
        };
        foreach (var (op, x) in convs) Check("conv2d.forward", op, new[] { x }, ConvBound);
        foreach (var (op, x) in convs.Take(convs.Count - 1))
        {
            var y = op.InferShape(new[] { x });
            Check("conv2d.backward_data", new Conv2dBackwardDataOp(op, x.H, x.W), new[] { y }, ConvBound);
            Check("conv2d.backward_weight", new Conv2dBackwardWeightOp(op), new[] { x, y }, ConvBound);
            Check("conv2d.backward_bias", new Conv2dBackwardBiasOp(op.OutChannels), new[] { y }, Fp32);
        }
        // Planes of more than one slice: the bias gradient's partial sums, two frames of them.
        Check("conv2d.backward_bias", new Conv2dBackwardBiasOp(3), new[] { new Shape(2, 3, plane.H, plane.W) }, Fp32);
        foreach (var (op, x) in new[] { (new ConvTranspose2dOp(16, 8, 4, 2, 1, true, Activation.Relu), new Shape(1, 16, 6, 5)), (new ConvTranspose2dOp(3, 5, 3, 1, 1), new Shape(2, 3, 7, 9)) })
            Check("conv_transpose2d.forward", op, new[] { x }, ConvBound);
        // A chain of convolutions as DnCNN's layers run (in bf16 its activations stay bfloat16 NHWC between the layers):
        // inner layers of 8 and 3 channels (the inner epilogue's four- and one-value paths) and one with neither bias nor ReLU.
        var chain = new ConvChainOp("self-test chain", new[]
        {
            new Conv2dOp(1, 8, 3, 3, 1, 1, 1, HasBias: true, Activation.Relu),
            new Conv2dOp(8, 3, 3, 3, 1, 1, 1, HasBias: true, Activation.Relu),
            new Conv2dOp(3, 8, 3, 3, 1, 1, 1, HasBias: false),
            new Conv2dOp(8, 1, 3, 3, 1, 1, 1, HasBias: true),
        });
        foreach (var x in new[] { new Shape(1, 1, 9, 13), new Shape(2, 1, 16, 20), new Shape(1, 1, plane.H / 4, plane.W / 4) })
            Check("conv_chain.forward", chain, new[] { x }, NetworkBound);

        foreach (var s in elementwise)
        {
            Check("affine.forward", new AffineOp(s.C, Activation.Relu), new[] { s }, Fp32);
            Check("relu.forward", new ReluOp(), new[] { s }, Fp32);
            Check("relu.backward", new ReluBackwardOp(), new[] { s, s }, Fp32);
            Check("subtract.forward", new SubtractOp(), new[] { s, s }, Fp32);
            Check("add.forward", new AddOp(), new[] { s, s }, Fp32);
            Check("clamp.forward", new ClampOp(0f, 1f), new[] { s }, Fp32);
        }
        Check("add.forward", new AddOp(2), new[] { new Shape(1, 3, 5, 7), new Shape(1, 6, 5, 7) }, Fp32);
        Check("concat.forward", new ConcatOp(), new[] { new Shape(2, 3, 6, 5), new Shape(2, 7, 6, 5) }, Fp32);
        Check("slice_channels.forward", new SliceChannelsOp(2, 3), new[] { new Shape(2, 7, 4, 5) }, Fp32);

        foreach (var (x, outH, outW, align) in new[] { (new Shape(1, 2, 4, 5), 16, 20, false), (new Shape(1, 2, 7, 3), 14, 6, true), (new Shape(1, 2, plane.H / 4, plane.W / 4), plane.H, plane.W, false) })
        {
            var forward = new ResizeBilinearOp(outH, outW, align);
            Check("resize_bilinear.forward", forward, new[] { x }, Fp32);
            Check("resize_bilinear.backward", new ResizeBilinearBackwardOp(forward, x.H, x.W), new[] { new Shape(x.N, x.C, outH, outW) }, Fp32);
        }
        foreach (var (x, outH, outW) in new[] { (new Shape(1, 3, 48, 64), 16, 16), (new Shape(1, 3, 5, 5), 20, 15), (rgbPlane, 256, 256) })
            Check("resize_bicubic.forward", new ResizeBicubicOp(outH, outW), new[] { x }, Fp32);
        foreach (var s in new[] { new Shape(1, 313, 8, 8), new Shape(2, 313, _large ? 64 : 5, _large ? 64 : 7) })
            Check("annealed_mean.forward", new AnnealedMeanOp(313, 0.38f), new[] { s }, Fp32);
        foreach (var (pool, x) in new[] { (new MaxPool2dOp(), new Shape(1, 5, 8, 6)), (new MaxPool2dOp(3, 2), new Shape(1, 5, 11, 8)), (new MaxPool2dOp(), _large ? new Shape(1, 32, 256, 256) : new Shape(1, 8, 16, 16)) })
        {
            Check("max_pool2d.forward", pool, new[] { x }, Fp32);
            Check("max_pool2d.backward", new MaxPool2dBackwardOp(pool), new[] { x, pool.InferShape(new[] { x }) }, Fp32);
        }
        foreach (var s in new[] { new Shape(1, 3, 1, 1), new Shape(2, 3, 7, 9), rgbPlane })
        {
            Check("rgb_to_lab.forward", new RgbToLabOp(), new[] { s }, Fp32);
            Check("lab_to_rgb.forward", new LabToRgbOp(), new[] { s }, Fp32);
        }
        // Two frames of several slices each: the moments' partials and their combination.
        foreach (var s in new[] { new Shape(1, 1, 1, 1), new Shape(2, 3, 7, 9), new Shape(2, 2, plane.H, plane.W) })
            Check("channel_moments.forward", new ChannelMomentsOp(), new[] { s }, Fp32);
        foreach (var s in new[] { new Shape(1, 3, 1, 1), new Shape(2, 1, 7, 9), rgbPlane })
            Check("recolor.forward", new RecolorOp(), new[] { s, new Shape(s.N, 2, s.H, s.W) }, Fp32);
        Check("expand_channels.forward", new ExpandChannelsOp(3), new[] { plane }, Fp32);
        Check("pad_reflect.forward", new PadReflectOp(32), new[] { new Shape(1, 3, 20, 13) }, Fp32);
        Check("pad_reflect.forward", new PadReflectOp(32), new[] { rgbPlane }, Fp32);
        Check("crop.forward", new CropOp(5, 3), new[] { new Shape(2, 3, 9, 12) }, Fp32);
        Check("crop.forward", new CropOp(4, 6, 3, 5), new[] { new Shape(2, 3, 9, 12) }, Fp32);
        Check("paste.forward", new PasteOp(3, 5), new[] { new Shape(2, 3, 9, 12), new Shape(2, 3, 4, 6) }, Fp32);
        Check("decimate.forward", new DecimateOp(2), new[] { new Shape(1, 3, 21, 14) }, Fp32);
        Check("decimate.forward", new DecimateOp(2), new[] { rgbPlane }, Fp32);
        foreach (var s in new[] { new Shape(1, 3, 1, 1), new Shape(2, 3, 7, 13), rgbPlane })
            Check("luma8.forward", new Luma8Op(), new[] { s }, Fp32);
        foreach (var s in new[] { new Shape(2, 3, 24, 32), new Shape(1, 1, 7, 5), rgbPlane })
            Check("thumbnail.forward", new ThumbnailOp(32), new[] { s }, Fp32);
        foreach (var kind in new[] { PriorLossKind.L1, PriorLossKind.IrtInit, PriorLossKind.Irt })
        foreach (var (h, w, vh, vw) in new[] { (16, 16, 13, 11), _large ? (480, 864, 470, 860) : (32, 32, 30, 27) })
        {
            var o = new Shape(1, kind == PriorLossKind.L1 ? 3 : 6, h, w);
            var frame = new Shape(1, 3, h, w);
            Check("prior_loss.forward", new PriorLossOp(kind, vh, vw), new[] { o, frame, frame }, Fp32);
            Check("prior_loss.backward", new PriorLossBackwardOp(kind, vh, vw), new[] { o, frame, frame }, Fp32);
        }
        var frames = new[] { new Shape(2, 1, 24, 32), new Shape(1, 1, 41, 37), _large ? new Shape(1, 1, 270, 480) : new Shape(1, 1, 64, 50) };
        foreach (var s in frames)
        {
            Check("optical_flow.forward", OpticalFlowOp.Medium, new[] { s, s }, FlowBound);
            var field = new Shape(s.N, 2, s.H, s.W);
            Check("flow_check.forward", new FlowCheckOp(), new[] { field, field }, Fp32);
            Check("warp.forward", new WarpOp(), new[] { new Shape(s.N, 3, s.H, s.W), field }, Fp32);
        }
        foreach (var (op, c, h, w) in new[] { (new ModeHoldOp(0.5f, 1f, 3), 2, 9, 11), (new ModeHoldOp(0.3f, 0.8f, 6), 2, plane.H, plane.W) })
            Check("mode_hold.forward", op, new[] { new Shape(1, c, h, w), new Shape(1, c + 1, h, w), new Shape(1, 1, h, w) }, Fp32);
        // Two frames, each with its own colour table, and bins full enough (MinTracked 2) that lost pixels take a bin's mean jump.
        Check("mode_hold.forward", new ModeHoldOp(0.5f, 1f, 3, MinTracked: 2), new[] { new Shape(2, 2, 13, 17), new Shape(2, 3, 13, 17), new Shape(2, 1, 13, 17) }, Fp32);
        foreach (var (op, c, h, w) in new[] { (new ScreenedPoissonOp(1f, 0.3f, 10), 3, 9, 11), (new ScreenedPoissonOp(2f, 1f, 7, Robust: 0.4f), 1, 17, 23), (new ScreenedPoissonOp(1f, 0.3f, 10, Robust: 30f), 2, plane.H, plane.W) })
            Check("screened_poisson.forward", op, new[] { new Shape(1, c, h, w), new Shape(1, c, h, w), new Shape(1, 1, h, w) }, Fp32);
        foreach (var (h, w) in new[] { (5, 7), _large ? (64, 64) : (16, 16) })
            Check("fuse_distributions.forward", new FuseDistributionsOp(0.7f, 0.38f), new[] { new Shape(1, 313, h, w), new Shape(1, 313, h, w), new Shape(1, 1, h, w) }, Fp32);
        foreach (int n in new[] { 1, 4099, _large ? 4_000_000 : 70_000 })
        for (int i = 0; i < 2; i++)
            Check("adam", new AdamStepOp(1e-4f, 0.9f, 0.999f, 1e-8f), Enumerable.Repeat(new Shape(n), 4).Append(new Shape(2)).ToArray(), Fp32);
    }

    /// <summary>
    /// One op on the device (inputs uploaded, output into device memory followed by sentinels)
    /// against the reference on the host.
    /// </summary>
    private void Check(string name, Op op, Shape[] shapes, double bound)
    {
        var rng = new Random(_seed++);
        var inputs = SelfTestInputs.Activations(op, shapes, rng);
        var parameters = SelfTestInputs.Parameters(op, rng);
        var expected = ReferenceBackend.Instance.Execute(op, inputs.Select(t => t.Clone()).Concat(parameters).ToArray());
        var outShape = op.InferShape(shapes);
        var tail = new float[outShape.ElementCount + Sentinels];
        for (int i = 0; i < outShape.ElementCount; i++) tail[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < Sentinels; i++) tail[outShape.ElementCount + i] = BitConverter.UInt32BitsToSingle(SentinelBits);
        var device = inputs.Select(_gpu.Import).ToList();
        try
        {
            using var buffer = _gpu.Import(new Tensor(new Shape(tail.Length), tail));
            using var y = buffer.View(outShape);
            using (var prepared = _gpu.Prepare(op, parameters)) prepared.RunInto(y, device.ToArray());
            var result = buffer.ToHost();
            int overwritten = Enumerable.Range(0, Sentinels).Count(i => BitConverter.SingleToUInt32Bits(result.Data[outShape.ElementCount + i]) != SentinelBits);
            Record(name, RelativeL2(expected.Span, result.Data.AsSpan(0, expected.Length)), bound,
                overwritten == 0 ? $"{outShape}" : $"{outShape}: wrote {overwritten} of {Sentinels} sentinels past its output");
        }
        finally
        {
            foreach (var t in device) t.Dispose();
        }
    }

    /// <param name="keepDetail">Keep the detail when the check passes too (a finding, not only a failure's reason).</param>
    private void Record(string name, double error, double bound, string detail, bool keepDetail = false)
    {
        bool ok = !detail.Contains("sentinel") && error <= bound;
        int at = _cases.FindIndex(c => c.Name == name);
        var merged = at < 0
            ? new SelfTestCase(name, error, bound, ok, ok && !keepDetail ? "" : detail)
            : _cases[at] with
            {
                MaxRelativeError = double.IsNaN(error) || error > _cases[at].MaxRelativeError ? error : _cases[at].MaxRelativeError,
                Ok = _cases[at].Ok && ok,
                Detail = ok ? _cases[at].Detail : string.Join("; ", new[] { _cases[at].Detail, detail }.Where(d => d.Length > 0)),
            };
        if (at < 0) _cases.Add(merged);
        else _cases[at] = merged;
        _report?.Invoke(new SelfTestCase(name, error, bound, ok, detail));
    }

    /// <summary>‖a − e‖ / ‖e‖ (‖a − e‖ alone when e is 0); NaN when a holds a NaN that e does not.</summary>
    internal static double RelativeL2(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i])) continue;
            double d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    /// <summary>The kernels no op of the set reaches (DnCNN's frame pipeline, half precision, the finite check), each against its host definition.</summary>
    private void Kernels()
    {
        var k = _gpu.Kernels;
        var rng = new Random(_seed++);
        int pixels = _large ? 1920 * 1080 : 4099;
        foreach (int channels in new[] { 1, 3 })
        {
            var bytes = new byte[pixels * channels];
            rng.NextBytes(bytes);
            using var src = DeviceBytes.Upload(_gpu, bytes);
            using var planes = DeviceBytes.Alloc(_gpu, pixels * channels * 4);
            k.PackU8ToF32(src.Ptr, planes.Ptr, pixels, channels, _gpu.Stream);
            var floats = planes.Floats();
            var expected = new float[floats.Length];
            for (int i = 0; i < pixels; i++)
            for (int c = 0; c < channels; c++)
                expected[c * pixels + i] = bytes[i * channels + c] / 255f;
            Record("kernel.pack_u8_to_f32", RelativeL2(expected, floats), Fp32, planes.SentinelNote());
            using var back = DeviceBytes.Alloc(_gpu, bytes.Length);
            k.UnpackF32ToU8(planes.Ptr, back.Ptr, pixels, channels, _gpu.Stream);
            var u8 = back.Bytes();
            Record("kernel.unpack_f32_to_u8", u8.SequenceEqual(bytes) ? 0 : 1, 0, back.SentinelNote());
        }
        var values = Enumerable.Range(0, pixels).Select(_ => (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-20, 17)))).ToArray();
        using (var f = DeviceBytes.Upload(_gpu, values))
        using (var half = DeviceBytes.Alloc(_gpu, values.Length * 2))
        using (var wide = DeviceBytes.Alloc(_gpu, values.Length * 4))
        {
            k.ConvertF32ToF16(f.Ptr, half.Ptr, values.Length, _gpu.Stream);
            var bits = half.Shorts();
            int wrong = values.Select((v, i) => BitConverter.HalfToUInt16Bits((Half)v) == bits[i] ? 0 : 1).Sum();
            Record("kernel.convert_f32_to_f16", wrong, 0, half.SentinelNote());
            k.ConvertF16ToF32(half.Ptr, wide.Ptr, values.Length, _gpu.Stream);
            Record("kernel.convert_f16_to_f32", RelativeL2(bits.Select(b => (float)BitConverter.UInt16BitsToHalf(b)).ToArray(), wide.Floats()), 0, wide.SentinelNote());
            k.ConvertF32ToBf16(f.Ptr, half.Ptr, values.Length, _gpu.Stream);
            var bf = half.Shorts();
            Record("kernel.convert_f32_to_bf16", values.Select((v, i) => EmulatedCudnn.ToBf16(v) == bf[i] ? 0 : 1).Sum(), 0, half.SentinelNote());
            k.ConvertBf16ToF32(half.Ptr, wide.Ptr, values.Length, _gpu.Stream);
            Record("kernel.convert_bf16_to_f32", RelativeL2(bf.Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray(), wide.Floats()), 0, wide.SentinelNote());
        }
        foreach (var (channels, hw, frames) in new[] { (3, 17, 2), (64, _large ? 65536 : 257, 1) })
        {
            var x = Enumerable.Range(0, frames * channels * hw).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
            using var src = DeviceBytes.Upload(_gpu, x);
            using var nhwc = DeviceBytes.Alloc(_gpu, x.Length * 2);
            CheckLayout(bf16: false, nhwc);
            // The bf16 pair a bf16 convolution's operands and results go through (and filters, with K as the frames).
            using var bf = DeviceBytes.Alloc(_gpu, x.Length * 2);
            var rounded = CheckLayout(bf16: true, bf);

            // NCHW float → NHWC half or bfloat16 in `into`, each value rounded as the host's reference rounds it,
            // and back to NCHW float, both recorded; returns the 16-bit values.
            ushort[] CheckLayout(bool bf16, DeviceBytes into)
            {
                Func<float, ushort> narrow = bf16 ? EmulatedCudnn.ToBf16 : v => BitConverter.HalfToUInt16Bits((Half)v);
                Func<ushort, float> widen = bf16 ? b => BitConverter.Int32BitsToSingle(b << 16) : b => (float)BitConverter.UInt16BitsToHalf(b);
                string type = bf16 ? "bf16" : "f16";
                if (bf16) k.NchwToNhwcBf16(src.Ptr, into.Ptr, frames, channels, hw, _gpu.Stream);
                else k.NchwToNhwcF16(src.Ptr, into.Ptr, frames, channels, hw, _gpu.Stream);
                var bits = into.Shorts();
                int wrong = 0;
                for (int n = 0; n < frames; n++)
                for (int c = 0; c < channels; c++)
                for (int p = 0; p < hw; p++)
                    wrong += narrow(x[(n * channels + c) * hw + p]) == bits[(n * hw + p) * channels + c] ? 0 : 1;
                Record($"kernel.nchw_f32_to_nhwc_{type}", wrong, 0, into.SentinelNote());
                using var nchw = DeviceBytes.Alloc(_gpu, x.Length * 4);
                if (bf16) k.NhwcBf16ToNchw(into.Ptr, nchw.Ptr, frames, channels, hw, _gpu.Stream);
                else k.NhwcF16ToNchw(into.Ptr, nchw.Ptr, frames, channels, hw, _gpu.Stream);
                Record($"kernel.nhwc_{type}_to_nchw_f32", RelativeL2(x.Select(v => widen(narrow(v))).ToArray(), nchw.Floats()), 0, nchw.SentinelNote());
                if (bf16)
                {
                    // A bf16 convolution's widen with its bias and ReLU: the host's widen, + bias, max(·, 0), in float.
                    var bias = Enumerable.Range(0, channels).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
                    using var dBias = DeviceBytes.Upload(_gpu, bias);
                    using var act = DeviceBytes.Alloc(_gpu, x.Length * 4);
                    k.NhwcBf16ToNchwBiasAct(into.Ptr, act.Ptr, dBias.Ptr, frames, channels, hw, relu: true, _gpu.Stream);
                    var want = x.Select((v, i) => Math.Max(widen(narrow(v)) + bias[i / hw % channels], 0f)).ToArray();
                    Record("kernel.nhwc_bf16_to_nchw_f32_bias_act", RelativeL2(want, act.Floats()), 0, act.SentinelNote());
                }
                return bits;
            }
            // A bf16 chain's inner layers' epilogue, in place on those bfloat16 values: + bias, ReLU, rounded back
            // as the host rounds (3 channels one value a thread, 64 four).
            var chainBias = Enumerable.Range(0, channels).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            using var dChainBias = DeviceBytes.Upload(_gpu, chainBias);
            k.BiasActivationNhwcBf16(bf.Ptr, dChainBias.Ptr, channels, x.Length, relu: true, _gpu.Stream);
            var wantBits = rounded.Select((b, i) => BitConverter.Int32BitsToSingle(b << 16) + chainBias[i % channels])
                .Select(v => EmulatedCudnn.ToBf16(v < 0 ? 0 : v)).ToArray();
            var gotBits = bf.Shorts();
            Record("kernel.bias_act_nhwc_bf16", wantBits.Where((b, i) => b != gotBits[i]).Count(), 0, bf.SentinelNote());
        }
        {
            var z = new Tensor(new Shape(1, 313, 5, 7), Enumerable.Range(0, 313 * 35).Select(_ => (float)(rng.NextDouble() * 16 - 8)).ToArray());
            var centres = new Tensor(new Shape(2, 313), Enumerable.Range(0, 626).Select(_ => (float)(rng.NextDouble() * 220 - 110)).ToArray());
            var zHalf = new Tensor(z.Shape, z.Data.Select(v => (float)(Half)v).ToArray());
            var expected = ReferenceBackend.Instance.Execute(new AnnealedMeanOp(313, 0.38f), zHalf, centres);
            using var dz = DeviceBytes.Upload(_gpu, z.Data.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray());
            using var dc = DeviceBytes.Upload(_gpu, centres.Data);
            using var ab = DeviceBytes.Alloc(_gpu, expected.Length * 4);
            k.AnnealedMean(dz.Ptr, dc.Ptr, ab.Ptr, 1, 313, 35, 0.38f, halfLogits: true, _gpu.Stream);
            Record("kernel.annealed_mean_f16", RelativeL2(expected.Data, ab.Floats()), Fp32, ab.SentinelNote());
        }
        {
            var x = Enumerable.Range(0, pixels).Select(_ => (float)(rng.NextDouble() * 1.4 - 0.2)).ToArray();
            var noise = Enumerable.Range(0, pixels).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            using var dx = DeviceBytes.Upload(_gpu, x);
            using var dn = DeviceBytes.Upload(_gpu, noise);
            using var dy = DeviceBytes.Alloc(_gpu, pixels * 4);
            k.ResidualSubtractClamp(dx.Ptr, dn.Ptr, dy.Ptr, pixels, 0f, 1f, _gpu.Stream);
            Record("kernel.residual_subtract_clamp_f32", RelativeL2(x.Select((v, i) => Math.Clamp(v - noise[i], 0f, 1f)).ToArray(), dy.Floats()), 0, dy.SentinelNote());
        }
        {
            // The finite check must flag a NaN in a device tensor when the host next waits for the device.
            var data = Enumerable.Range(0, 1000).Select(i => (float)i).ToArray();
            data[777] = float.NaN;
            using var t = _gpu.Import(new Tensor(new Shape(1000), data));
            string caught = "";
            try
            {
                _gpu.EnsureFinite(t, "the self-test's NaN");
                _gpu.Synchronize();
            }
            catch (ReelException e)
            {
                caught = e.Message;
            }
            // The detail of a pass says it was flagged, not the error line itself, which read as a failure in an "ok" row.
            bool flagged = caught.Contains("the self-test's NaN");
            Record("kernel.finite_check_f32", flagged ? 0 : 1, 0,
                flagged ? "the NaN put in was flagged" : caught.Length > 0 ? $"not the NaN put in: {caught}" : "a NaN went unreported");
        }
    }

    /// <summary>
    /// How the device's convolutions take float operands, seen through a 1×1 convolution by the identity
    /// (products by 1 and sums with 0 are exact) on values whose low mantissa bits tell the roundings apart:
    /// ±(1 + k·2⁻¹⁰ + m·2⁻¹³)·2ᵉ, k and m 0…7 (m = 4 a TF32 tie). Whether cuDNN's TF32 rounds or truncates
    /// is not documented; fp32 must keep operands whole and bf16 round them to bfloat16 (Reel's own kernel),
    /// TF32 may round either way or truncate. The detail (in --json too) names the rounding seen.
    /// </summary>
    private void OperandRounding()
    {
        const int channels = 64, side = 8;
        var x = new Tensor(new Shape(1, channels, side, side));
        for (int i = 0; i < x.Length; i++)
            x.Data[i] = (float)((1 + i % 8 * Math.Pow(2, -10) + i / 8 % 8 * Math.Pow(2, -13)) * Math.Pow(2, i / 64 % 5 - 2) * (i % 3 == 0 ? -1 : 1));
        var identity = new Tensor(new Shape(channels, channels, 1, 1));
        for (int c = 0; c < channels; c++) identity.Data[c * channels + c] = 1;
        Tensor y;
        using (var conv = _gpu.Prepare(new Conv2dOp(channels, channels, 1, 1, HasBias: false), identity))
        using (var onDevice = _gpu.Import(x))
        using (var result = conv.Run(onDevice))
            y = result.ToHost();
        var seen = new (string Name, Func<float, float> Round)[]
        {
            ("kept whole", v => v),
            ("TF32 rounded to nearest, ties to even", EmulatedCudnn.RoundToTf32),
            ("TF32 rounded to nearest, ties away", v => BitConverter.UInt32BitsToSingle((BitConverter.SingleToUInt32Bits(v) + 0x1000) & ~0x1FFFu)),
            ("TF32 truncated", EmulatedCudnn.TruncateToTf32),
            ("bfloat16 rounded to nearest", v => BitConverter.UInt32BitsToSingle((uint)EmulatedCudnn.ToBf16(v) << 16)),
        };
        var errors = seen.Select(r => RelativeL2(x.Span.ToArray().Select(r.Round).ToArray(), y.Span)).ToArray();
        int nearest = Array.IndexOf(errors, errors.Min());
        int[] allowed = _gpu.Precision switch { Precision.Tf32 => new[] { 1, 2, 3 }, Precision.Bf16 => new[] { 4 }, _ => new[] { 0 } };
        int best = allowed.MinBy(i => errors[i]);
        Record("conv2d.operand_rounding", errors[best], Fp32,
            $"operands {seen[nearest].Name}" + (allowed.Contains(nearest) ? "" : $", not {seen[best].Name} as {_gpu.Precision} should"), keepDetail: true);
    }


    /// <summary>The networks on the device against the fast CPU backend, same random weights and inputs.</summary>
    private void Models()
    {
        var rng = new Random(_seed++);
        int h = _large ? 1080 : 24, w = _large ? 1920 : 32;
        var weights = RandomWeights.DnCnnB(rng);
        var x = Random(new Shape(1, 1, h, w), rng, 0, 1);
        using (var cpu = DnCnn.FromWeights(weights, FastBackend.Instance))
        using (var gpu = DnCnn.FromWeights(weights, _gpu))
        {
            using (var onDevice = _gpu.Import(x))
            using (var y = gpu.Forward(onDevice))
                Record("dncnn.forward", RelativeL2(cpu.Forward(x).Span, y.ToHost().Span), NetworkBound, $"DnCNN-B {w}×{h}");
            // In tiles (windows cut and pasted on the device), against the CPU's whole frame: a frame wider than its 20-pixel halo allows untiled.
            int tiledW = _large ? 1920 : 100, tiledH = _large ? 1080 : 48;
            long tilePixels = _large ? 800_000 : 48 * 64;
            var wide = Random(new Shape(1, 1, tiledH, tiledW), rng, 0, 1);
            var grid = gpu.TilesFor(wide.Shape, tilePixels);
            using (var onDevice = _gpu.Import(wide))
            using (var y = gpu.Forward(onDevice, tilePixels))
                Record("dncnn.tiled", RelativeL2(cpu.Forward(wide).Span, y.ToHost().Span), NetworkBound,
                    $"DnCNN-B {tiledW}×{tiledH} in {grid.Tiles.Count} windows of {grid.WindowWidth}×{grid.WindowHeight}");
        }

        var colour = RandomWeights.Eccv16(rng);
        int side = _large ? 256 : 32;
        var l = Random(new Shape(1, 1, side, side), rng, 0, 100);
        using (var cpu = Colorizer.FromWeights(colour, FastBackend.Instance))
        using (var gpu = Colorizer.FromWeights(colour, _gpu))
        using (var onDevice = _gpu.Import(l))
        using (var ab = gpu.Forward(onDevice))
            Record("colorizer.forward", RelativeL2(cpu.Forward(l).Span, ab.ToHost().Span), NetworkBound, $"ECCV16 {side}×{side}");

        int width = _large ? 32 : 4, size = _large ? 256 : 32;
        var input = Random(new Shape(1, 3, size, size), rng, 0, 1);
        var processed = Random(new Shape(1, 3, size, size), rng, 0, 1);
        using var cpuNet = VideoPrior.Create(width, 6, seed: 11);
        using var cpuTrainer = new PriorTrainer(cpuNet, FastBackend.Instance);
        using var gpuNet = VideoPrior.Create(width, 6, seed: 11);
        gpuNet.MoveTo(_gpu);
        using var gpuTrainer = new PriorTrainer(gpuNet, _gpu);
        double expectedLoss = cpuTrainer.Step(PriorLossKind.Irt, input, processed, size - 2, size - 5);
        double loss = gpuTrainer.Step(PriorLossKind.Irt, input, processed, size - 2, size - 5);
        string detail = $"U-Net width {width}, {size}×{size}, IRT";
        Record("prior_step.loss", Math.Abs(loss - expectedLoss) / Math.Abs(expectedLoss), NetworkBound, detail);
        // Adam's step is checked on the device's own gradients: its first update is ±lr wherever a gradient is
        // not zero, so a gradient that rounding tips across zero would swing a zero-initialised bias by 2·lr
        // (a relative error of order 1) and say nothing about the update itself.
        using var startNet = VideoPrior.Create(width, 6, seed: 11);
        using var adam = new Adam(backend: FastBackend.Instance);
        var deviceGradients = gpuTrainer.Gradients.ToDictionary(g => g.Key, g => g.Value.ToHost());
        adam.Step(startNet.Parameters, deviceGradients);
        double gradients = 0, after = 0;
        foreach (var (name, p) in startNet.Parameters)
        {
            gradients = Math.Max(gradients, RelativeL2(cpuTrainer.Gradients[name].Span, deviceGradients[name].Span));
            after = Math.Max(after, RelativeL2(p.Span, gpuNet.Parameters[name].ToHost().Span));
        }
        Record("prior_step.gradients", gradients, GradientBound, detail + ", worst tensor");
        Record("prior_step.adam", after, Fp32, detail + ", weights after the step against Adam on the CPU from the device's gradients, worst tensor");
    }

    /// <summary>
    /// A random U-Net's gradient shrinks 10⁵-fold from its output to its bottleneck, and each convolution of the
    /// backward chain rounds its operands at the backend's precision: the deep tensors' relative errors grow to
    /// hundreds of times one convolution's, and how far depends on the seed (a deep tensor's sums cancel).
    /// Measured over 30 seeds on the emulated cuDNN, worst tensor: TF32 0.0021 to 0.20 (median 0.064; truncated,
    /// over 15 seeds, up to 0.26), bf16 0.14 to 0.52 (median 0.25), against 2.6e-4 and 2.7e-3 for one
    /// convolution. So 0.5 in TF32 and 0.75 in bf16: those runs say that the rounding is of the expected size and the
    /// gradients point the right way (a wrongly wired one errs by about 1 or more). The fp32 run, held to 10×
    /// the convolution bound, is the one that checks the wiring.
    /// </summary>
    private double GradientBound => _gpu.Precision switch { Precision.Tf32 => 0.5, Precision.Bf16 => 0.75, _ => 10 * ConvBound };

    private static Tensor Random(Shape s, Random rng, float lo, float hi)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return t;
    }
}
