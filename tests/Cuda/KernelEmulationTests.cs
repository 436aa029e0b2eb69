using Reel.Emulation;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Color;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;
using Xunit.Abstractions;
using static Reel.Tests.Cuda.EmulatedGpu;

namespace Reel.Tests.Cuda;

/// <summary>
/// Every kernel of kernels/*.cu, run through its C# launcher (CudaKernels) on the emulated
/// device, against the CPU reference (ReferenceBackend, Lab, PriorLoss, Adam, ImageIO's
/// rounding) over size sweeps with odd sizes and sizes that do not divide the block, with
/// NaN sentinels after every output. Each test prints its max error.
/// </summary>
public class KernelEmulationTests(ITestOutputHelper output)
{
    private static readonly int[] Sizes = { 1, 7, 255, 256, 257, 1000, 4099 };

    [Fact]
    public void EveryKernelInTheSourcesIsEmulated()
    {
        var declared = KernelSources.Kernels.Select(k => k.Name).Order().ToArray();
        Assert.True(declared.Length >= 20, $"only {declared.Length} kernels parsed from kernels/*.cu");
        Assert.Equal(declared, Device.KernelNames.Order().ToArray());
        Assert.True(KernelSources.KernelFiles.Count >= 8, string.Join(", ", KernelSources.KernelFiles));
    }

    [Fact]
    public void PackU8ToFloatPlanesAndBackRoundsLikeImageIO()
    {
        var rng = new Random(1);
        foreach (int pixels in Sizes)
        foreach (int channels in new[] { 1, 3 })
        {
            var bytes = new byte[pixels * channels];
            rng.NextBytes(bytes);
            using var src = Upload<byte>(bytes);
            using var planes = Alloc<float>(pixels * channels);
            Kernels.PackU8ToF32(src.Ptr, planes.Ptr, pixels, channels);
            var got = planes.Download("pack_u8_to_f32");
            for (int i = 0; i < pixels; i++)
            for (int c = 0; c < channels; c++)
                Assert.Equal(bytes[i * channels + c] / 255f, got[c * pixels + i]);

            var values = RandomFloats(rng, pixels * channels, -0.2f, 1.2f);
            for (int i = 0; i < values.Length; i += 5) values[i] = (rng.Next(256) + 0.5f) / 255f; // halfway cases
            using var f = Upload<float>(values);
            using var back = Alloc<byte>(pixels * channels);
            Kernels.UnpackF32ToU8(f.Ptr, back.Ptr, pixels, channels);
            var u8 = back.Download("unpack_f32_to_u8");
            for (int i = 0; i < pixels; i++)
            for (int c = 0; c < channels; c++)
                Assert.Equal((byte)Math.Round(Math.Clamp(values[c * pixels + i], 0f, 1f) * 255f, MidpointRounding.AwayFromZero), u8[i * channels + c]);
        }
        output.WriteLine("pack/unpack u8: exact over pixels " + string.Join(",", Sizes) + " × channels 1,3");
    }

    [Fact]
    public void HalfConversionsMatchSystemHalf()
    {
        var rng = new Random(2);
        var values = RandomFloats(rng, 5000, -70000f, 70000f);
        for (int i = 0; i < 2000; i++) values[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-26, 17)));
        values[0] = 0; values[1] = -0f; values[2] = float.PositiveInfinity; values[3] = 65504f; values[4] = 65520f; values[5] = 5.96e-8f;
        using var src = Upload<float>(values);
        using var half = Alloc<ushort>(values.Length);
        Kernels.ConvertF32ToF16(src.Ptr, half.Ptr, values.Length);
        var bits = half.Download("convert_f32_to_f16");
        for (int i = 0; i < values.Length; i++)
            Assert.True(BitConverter.HalfToUInt16Bits((Half)values[i]) == bits[i], $"f32→f16 of {values[i]:R}: 0x{bits[i]:x4}");
        using var back = Alloc<float>(values.Length);
        Kernels.ConvertF16ToF32(half.Ptr, back.Ptr, values.Length);
        var f = back.Download("convert_f16_to_f32");
        for (int i = 0; i < values.Length; i++) Assert.Equal((float)BitConverter.UInt16BitsToHalf(bits[i]), f[i]);
        output.WriteLine("f32↔f16: bit-exact vs System.Half on 5000 values incl. subnormals, 65504, 65520→inf");
    }

    /// <summary>
    /// NCHW float ↔ NHWC half and bfloat16 through shared-memory tiles, against System.Half's rounding and
    /// bfloat16 rounding done in doubles (to nearest even at the 8th significant bit). The bf16 pair is what
    /// a bf16 convolution goes through: activations, and a 3×3 filter (K 32, C 64, R·S 9) to KRSC.
    /// </summary>
    [Theory]
    [InlineData(false, 1, 1, 1)] [InlineData(false, 3, 17, 2)] [InlineData(false, 31, 33, 1)] [InlineData(false, 33, 1000, 2)] [InlineData(false, 64, 257, 1)]
    [InlineData(true, 1, 1, 1)] [InlineData(true, 3, 17, 2)] [InlineData(true, 33, 1000, 2)] [InlineData(true, 64, 9, 32)]
    public void LayoutTransposeThroughSharedMemoryTiles(bool bf16, int channels, int hw, int frames)
    {
        Func<float, ushort> narrow = bf16 ? Bf16Bits : v => BitConverter.HalfToUInt16Bits((Half)v);
        Func<ushort, float> widen = bf16 ? b => BitConverter.Int32BitsToSingle(b << 16) : b => (float)BitConverter.UInt16BitsToHalf(b);
        string type = bf16 ? "bf16" : "f16";
        var rng = new Random(channels * 1000 + hw);
        var x = RandomFloats(rng, frames * channels * hw, -4, 4);
        using var src = Upload<float>(x);
        using var nhwc = Alloc<ushort>(x.Length);
        if (bf16) Kernels.NchwToNhwcBf16(src.Ptr, nhwc.Ptr, frames, channels, hw);
        else Kernels.NchwToNhwcF16(src.Ptr, nhwc.Ptr, frames, channels, hw);
        var got = nhwc.Download($"nchw_f32_to_nhwc_{type}");
        for (int n = 0; n < frames; n++)
        for (int c = 0; c < channels; c++)
        for (int p = 0; p < hw; p++)
            Assert.Equal(narrow(x[(n * channels + c) * hw + p]), got[(n * hw + p) * channels + c]);
        using var nchw = Alloc<float>(x.Length);
        if (bf16) Kernels.NhwcBf16ToNchw(nhwc.Ptr, nchw.Ptr, frames, channels, hw);
        else Kernels.NhwcF16ToNchw(nhwc.Ptr, nchw.Ptr, frames, channels, hw);
        var round = nchw.Download($"nhwc_{type}_to_nchw_f32");
        for (int i = 0; i < x.Length; i++) Assert.Equal(widen(narrow(x[i])), round[i]);
    }

    /// <summary>
    /// A bf16 convolution's result widened with its bias and ReLU in one pass: the bits of the widen
    /// followed by the float epilogue (affine_act_f32), with and without a bias, with and without ReLU.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 1)] [InlineData(3, 17, 2)] [InlineData(33, 1000, 2)] [InlineData(64, 257, 1)]
    public void WideningWithTheEpilogueIsTheWidenThenTheEpilogue(int channels, int hw, int frames)
    {
        var rng = new Random(channels * 7 + hw);
        var x = RandomFloats(rng, frames * channels * hw, -4, 4);
        var bias = RandomFloats(rng, channels, -1, 1);
        using var src = Upload<float>(x);
        using var nhwc = Alloc<ushort>(x.Length);
        Kernels.NchwToNhwcBf16(src.Ptr, nhwc.Ptr, frames, channels, hw);
        using var dBias = Upload<float>(bias);
        using var separate = Alloc<float>(x.Length);
        using var fused = Alloc<float>(x.Length);
        foreach (bool withBias in new[] { false, true })
        foreach (bool relu in new[] { false, true })
        {
            var b = withBias ? dBias.Ptr : DevicePtr.Null;
            Kernels.NhwcBf16ToNchw(nhwc.Ptr, separate.Ptr, frames, channels, hw);
            Kernels.AffineActivation(separate.Ptr, separate.Ptr, DevicePtr.Null, b, channels, hw, x.Length, relu);
            Kernels.NhwcBf16ToNchwBiasAct(nhwc.Ptr, fused.Ptr, b, frames, channels, hw, relu);
            var want = separate.Download("affine_act_f32");
            var got = fused.Download("nhwc_bf16_to_nchw_f32_bias_act");
            for (int i = 0; i < x.Length; i++)
                Assert.True(BitConverter.SingleToUInt32Bits(want[i]) == BitConverter.SingleToUInt32Bits(got[i]),
                    $"bias {withBias}, relu {relu}: element {i} is {got[i]:R}, the two passes give {want[i]:R}");
            // The ReLU took effect, or did not: random values of both signs either way.
            if (x.Length > 100 && relu) Assert.DoesNotContain(got, v => v < 0);
            else if (x.Length > 100) Assert.Contains(got, v => v < 0);
        }
    }

    /// <summary>A normal float's bfloat16 bits: rounded in doubles to 8 significant bits, ties to even.</summary>
    private static ushort Bf16Bits(float v)
    {
        if (v == 0) return (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16);
        double ulp = Math.ScaleB(1.0, Math.ILogB(v) - 7);
        var rounded = (float)(Math.Round(v / ulp, MidpointRounding.ToEven) * ulp);
        return (ushort)(BitConverter.SingleToUInt32Bits(rounded) >> 16);
    }

    [Fact]
    public void LabBothWaysMatchesTheDoubleReference()
    {
        var rng = new Random(3);
        double worstLab = 0, worstRgb = 0, worstRecolor = 0;
        foreach (int plane in new[] { 1, 8, 255, 257, 1001 })
        {
            var rgb = new Tensor(new Shape(2, 3, 1, plane), RandomFloats(rng, 6 * plane, 0, 1));
            if (plane >= 8)
                for (int c = 0; c < 3; c++) { rgb.Data[c * plane] = 0; rgb.Data[c * plane + 1] = 1; rgb.Data[c * plane + 2] = 0.04f; rgb.Data[c * plane + 3] = 0.002f; }
            var expectedLab = Lab.FromRgb(rgb);
            using var src = Upload<float>(rgb.Data);
            using var lab = Alloc<float>(rgb.Length);
            Kernels.RgbToLab(src.Ptr, lab.Ptr, 2, plane);
            var gotLab = lab.Download("rgb_to_lab_f32");
            // In double as the reference: to the float it stores (a float kernel was up to 1e-3 off on L's 0–100).
            worstLab = Math.Max(worstLab, AssertClose(expectedLab.Data, gotLab, 1e-5, 0, $"rgb→lab plane {plane}"));

            var expectedRgb = Lab.ToRgb(expectedLab);
            using var labIn = Upload<float>(expectedLab.Data);
            using var back = Alloc<float>(rgb.Length);
            Kernels.LabToRgb(labIn.Ptr, back.Ptr, 2, plane);
            worstRgb = Math.Max(worstRgb, AssertClose(expectedRgb.Data, back.Download("lab_to_rgb_f32"), 2e-5, 0, $"lab→rgb plane {plane}"));

            // The same frame, and its first plane as a gray frame, given new a, b.
            var ab = new Tensor(new Shape(2, 2, 1, plane), RandomFloats(rng, 4 * plane, -100, 100));
            using var abIn = Upload<float>(ab.Data);
            foreach (int channels in new[] { 3, 1 })
            {
                var frame = channels == 3 ? rgb : new Tensor(new Shape(2, 1, 1, plane), rgb.Data.Where((_, i) => i / plane % 3 == 0).ToArray());
                var expected = new Tensor(new Shape(2, 3, 1, plane));
                Lab.Recolor(frame, ab, expected);
                using var frameIn = Upload<float>(frame.Data);
                using var recoloured = Alloc<float>(expected.Length);
                Kernels.Recolor(frameIn.Ptr, abIn.Ptr, recoloured.Ptr, 2, channels, plane);
                worstRecolor = Math.Max(worstRecolor, AssertClose(expected.Data, recoloured.Download("recolor_f32"), 2e-5, 0, $"recolor of {channels} channel(s), plane {plane}"));
            }
        }
        output.WriteLine($"rgb_to_lab_f32 max |err| {worstLab:G3} (Lab units); lab_to_rgb_f32 max |err| {worstRgb:G3}; recolor_f32 max |err| {worstRecolor:G3}");
    }

    [Fact]
    public void BilinearResizeMatchesTheReference()
    {
        double worst = 0;
        int seed = 0;
        foreach (var (inH, inW, outH, outW) in new[] { (4, 5, 16, 20), (7, 3, 5, 11), (1, 1, 3, 2), (9, 9, 9, 9), (16, 12, 4, 3), (64, 64, 256, 256), (17, 33, 34, 66) })
        foreach (var align in new[] { false, true })
        {
            var rng = new Random(seed++);
            var x = new Tensor(new Shape(2, 3, inH, inW), RandomFloats(rng, 6 * inH * inW, -1, 1));
            var op = new ResizeBilinearOp(outH, outW, align);
            var expected = ReferenceBackend.Instance.Execute(op, x);
            using var src = Upload<float>(x.Data);
            using var dst = Alloc<float>(expected.Length);
            Kernels.ResizeBilinear(src.Ptr, dst.Ptr, 6, inH, inW, outH, outW, align);
            // The kernel computes the source coordinate in float (as PyTorch's CUDA kernel does), the reference in double.
            worst = Math.Max(worst, AssertClose(expected.Data, dst.Download("resize"), 1e-5, 1e-5, $"resize {inH}×{inW}→{outH}×{outW} align {align}"));
        }
        output.WriteLine($"resize_bilinear_f32 max |err| {worst:G3}");
    }

    [Fact]
    public void EpiloguesMatchTheReference()
    {
        var rng = new Random(4);
        double worst = 0;
        foreach (var s in new[] { new Shape(1, 1, 1, 1), new Shape(2, 3, 5, 7), new Shape(1, 64, 17, 33), new Shape(2, 13, 1, 257) })
        {
            var x = new Tensor(s, RandomFloats(rng, (int)s.ElementCount, -2, 2));
            var scale = new Tensor(new Shape(s.C), RandomFloats(rng, s.C, -1.5f, 1.5f));
            var shift = new Tensor(new Shape(s.C), RandomFloats(rng, s.C, -1, 1));
            using var dx = Upload<float>(x.Data);
            using var dScale = Upload<float>(scale.Data);
            using var dShift = Upload<float>(shift.Data);
            foreach (var relu in new[] { false, true })
            {
                var expected = ReferenceBackend.Instance.Execute(new AffineOp(s.C, relu ? Activation.Relu : Activation.None), x, scale, shift);
                using var y = Alloc<float>(x.Length);
                Kernels.AffineActivation(dx.Ptr, y.Ptr, dScale.Ptr, dShift.Ptr, s.C, s.H * s.W, s.ElementCount, relu);
                worst = Math.Max(worst, AssertClose(expected.Data, y.Download("affine_act_f32"), 1e-6, 1e-6, $"affine {s} relu {relu}"));

                var bias = ReferenceBackend.Instance.Execute(new AffineOp(s.C, relu ? Activation.Relu : Activation.None), x, Ones(s.C), shift);
                using var yb = Alloc<float>(x.Length);
                Kernels.AffineActivation(dx.Ptr, yb.Ptr, DevicePtr.Null, dShift.Ptr, s.C, s.H * s.W, s.ElementCount, relu);
                Assert.Equal(bias.Data[..x.Length], yb.Download("affine_act_f32 bias only"));

                // A bf16 chain's inner epilogue, in place on the bfloat16 NHWC values (one value a thread for 1, 3
                // and 13 channels, four for 64): the host's float sum and ReLU, rounded as the host rounds, bit for bit.
                var rounded = x.Data.Select(EmulatedCudnn.ToBf16).ToArray();
                foreach (var withBias in new[] { true, false })
                {
                    using var yh = Upload<ushort>(rounded);
                    Kernels.BiasActivationNhwcBf16(yh.Ptr, withBias ? dShift.Ptr : DevicePtr.Null, s.C, s.ElementCount, relu);
                    var want = rounded.Select((b, i) =>
                    {
                        float v = BitConverter.Int32BitsToSingle(b << 16) + (withBias ? shift.Data[i % s.C] : 0f);
                        return EmulatedCudnn.ToBf16(relu && v < 0 ? 0 : v);
                    }).ToArray();
                    Assert.Equal(want, yh.Download("bias_act_nhwc_bf16"));
                }
            }
            var relu0 = ReferenceBackend.Instance.Execute(new ReluOp(), x);
            using var yr = Alloc<float>(x.Length);
            Kernels.AffineActivation(dx.Ptr, yr.Ptr, DevicePtr.Null, DevicePtr.Null, s.C, s.H * s.W, s.ElementCount, relu: true);
            Assert.Equal(relu0.Data[..x.Length], yr.Download("relu"));

            var b = new Tensor(s, RandomFloats(rng, x.Length, -2, 2));
            using var db = Upload<float>(b.Data);
            using var ys = Alloc<float>(x.Length);
            Kernels.Subtract(dx.Ptr, db.Ptr, ys.Ptr, x.Length);
            Assert.Equal(ReferenceBackend.Instance.Execute(new SubtractOp(), x, b).Data[..x.Length], ys.Download("subtract"));
            using var yc = Alloc<float>(x.Length);
            Kernels.Clamp(dx.Ptr, yc.Ptr, x.Length, -0.25f, 0.5f);
            Assert.Equal(ReferenceBackend.Instance.Execute(new ClampOp(-0.25f, 0.5f), x).Data[..x.Length], yc.Download("clamp"));
            using var yres = Alloc<float>(x.Length);
            Kernels.ResidualSubtractClamp(dx.Ptr, db.Ptr, yres.Ptr, x.Length, 0, 1);
            Assert.Equal(x.Data.Select((v, i) => Math.Clamp(v - b.Data[i], 0f, 1f)).ToArray(), yres.Download("residual_subtract_clamp"));
            using var grad = Upload<float>(b.Data);
            Kernels.ReluBackward(yr.Ptr, grad.Ptr, x.Length);
            Assert.Equal(b.Data.Select((g, i) => relu0.Data[i] > 0 ? g : 0f).ToArray(), grad.Download("relu_backward"));
        }
        output.WriteLine($"affine_act_f32 max |err| {worst:G3}; subtract, clamp, residual, relu, relu_backward, bias_act_nhwc_bf16 exact");
    }

    [Fact]
    public void AnnealedMeanMatchesTheReference()
    {
        double worst = 0, worstHalf = 0;
        int seed = 10;
        foreach (var t in new[] { 1f, 0.38f, 0.05f })
        foreach (var (bins, h, w) in new[] { (313, 5, 7), (313, 17, 31), (4, 1, 1), (1, 2, 3), (313, 1, 300) })
        {
            var rng = new Random(seed++);
            var z = new Tensor(new Shape(2, bins, h, w), RandomFloats(rng, 2 * bins * h * w, -8, 8));
            var centres = new Tensor(new Shape(2, bins), RandomFloats(rng, 2 * bins, -110, 110));
            var op = new AnnealedMeanOp(bins, t);
            var expected = ReferenceBackend.Instance.Execute(op, z, centres);
            using var dz = Upload<float>(z.Data);
            using var dc = Upload<float>(centres.Data);
            using var ab = Alloc<float>(expected.Length);
            Kernels.AnnealedMean(dz.Ptr, dc.Ptr, ab.Ptr, 2, bins, h * w, t);
            worst = Math.Max(worst, AssertClose(expected.Data, ab.Download("annealed_mean_f32"), 2e-3, 2e-5, $"annealed mean Q {bins} T {t} {h}×{w}"));

            var zh = new Tensor(z.Shape, z.Data.Select(v => (float)(Half)v).ToArray());
            var expectedHalf = ReferenceBackend.Instance.Execute(op, zh, centres);
            using var dzh = Upload<ushort>(z.Data.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray());
            using var abh = Alloc<float>(expected.Length);
            Kernels.AnnealedMean(dzh.Ptr, dc.Ptr, abh.Ptr, 2, bins, h * w, t, halfLogits: true);
            worstHalf = Math.Max(worstHalf, AssertClose(expectedHalf.Data, abh.Download("annealed_mean_f16"), 2e-3, 2e-5, $"annealed mean f16 Q {bins} T {t}"));
        }
        output.WriteLine($"annealed_mean_f32 max |err| {worst:G3} (ab units, centres in ±110); annealed_mean_f16 {worstHalf:G3} vs the reference on the same half logits");
    }

    [Theory]
    [InlineData(1, 1, 1, 1)] [InlineData(5, 7, 5, 7)] [InlineData(16, 16, 13, 11)] [InlineData(33, 40, 32, 37)] [InlineData(64, 64, 64, 64)]
    public void IrtLossAndGradientsMatchPriorLoss(int h, int w, int validH, int validW)
    {
        foreach (var kind in new[] { PriorLossKind.L1, PriorLossKind.IrtInit, PriorLossKind.Irt })
        {
            var rng = new Random(h * 100 + w + (int)kind);
            int heads = kind == PriorLossKind.L1 ? 3 : 6, plane = h * w;
            var o = new Tensor(new Shape(1, heads, h, w), RandomFloats(rng, heads * plane, 0, 1));
            var input = new Tensor(new Shape(1, 3, h, w), RandomFloats(rng, 3 * plane, 0, 1));
            var p = new Tensor(new Shape(1, 3, h, w), RandomFloats(rng, 3 * plane, 0, 1));
            var grad = ReferenceBackend.Instance.Execute(new PriorLossBackwardOp(kind, validH, validW), o, input, p);
            double loss = ReferenceBackend.Instance.Execute(new PriorLossOp(kind, validH, validW), o, input, p).Data[0];

            using var dO = Upload<float>(o.Data);
            using var dI = Upload<float>(input.Data);
            using var dP = Upload<float>(p.Data);
            using var dG = Alloc<float>(o.Length);
            int blocks = CudaKernels.IrtPartialBlocks(h, w);
            using var partials = Alloc<float>(2 * blocks);
            Kernels.IrtLossGrad(dO.Ptr, dI.Ptr, dP.Ptr, dG.Ptr, partials.Ptr, h, w, validH, validW, (int)kind);
            Assert.Equal(grad.Data, dG.Download($"irt {kind} grad"));
            double got = CudaKernels.IrtLoss(partials.Download($"irt {kind} partials"), (int)kind, validH, validW);
            Assert.True(Math.Abs(got - loss) <= 1e-6 * Math.Abs(loss) + 1e-9, $"{kind} {h}×{w}: loss {got}, reference {loss}");
            output.WriteLine($"irt_loss_grad_f32 {kind} {h}×{w} (valid {validH}×{validW}, {blocks} blocks): gradient exact, loss rel err {Math.Abs(got - loss) / loss:G3}");
        }
    }

    [Fact]
    public void AdamStepsAreBitIdenticalToTheCpuOptimizer()
    {
        foreach (int n in Sizes)
        {
            var rng = new Random(n);
            var param = new Tensor(new Shape(n), RandomFloats(rng, n, -1, 1));
            var cpu = new Adam(1e-3f);
            using var dp = Upload<float>(param.Data);
            using var dm = Upload<float>(new float[n]);
            using var dv = Upload<float>(new float[n]);
            for (int t = 1; t <= 5; t++)
            {
                var g = new Tensor(new Shape(n), RandomFloats(rng, n, -0.5f, 0.5f));
                using var dg = Upload<float>(g.Data);
                using var dc = Upload<float>(new AdamStepOp(cpu.LearningRate, cpu.Beta1, cpu.Beta2, cpu.Epsilon).Corrections(t).Data);
                Kernels.AdamStep(dp.Ptr, dg.Ptr, dm.Ptr, dv.Ptr, n, dc.Ptr, cpu.Beta1, cpu.Beta2, cpu.Epsilon);
                cpu.Step(new Dictionary<string, Tensor> { ["p"] = param }, new Dictionary<string, Tensor> { ["p"] = g });
                Assert.Equal(param.Data, dp.Download($"adam n {n} step {t}"));
            }
        }
        output.WriteLine("adam_step_f32: bit-identical to Training.Adam over 5 steps, n = " + string.Join(",", Sizes));
    }

    [Fact]
    public void MaxPoolAndConcatMatchTheReference()
    {
        int seed = 20;
        foreach (var (k, stride, h, w) in new[] { (2, 2, 8, 6), (2, 2, 9, 7), (3, 2, 11, 8), (2, 1, 5, 5), (1, 1, 3, 4), (2, 2, 64, 34) })
        {
            var rng = new Random(seed++);
            var x = new Tensor(new Shape(2, 5, h, w), RandomFloats(rng, 10 * h * w, -1, 1));
            x.Data[3] = float.NaN;
            var op = new MaxPool2dOp(k, stride);
            var expected = ReferenceBackend.Instance.Execute(op, x);
            using var dx = Upload<float>(x.Data);
            using var dy = Alloc<float>(expected.Length);
            Kernels.MaxPool(dx.Ptr, dy.Ptr, 10, h, w, expected.Shape.H, expected.Shape.W, k, stride);
            var got = dy.Download("maxpool");
            for (int i = 0; i < got.Length; i++) Assert.True(expected.Data[i].Equals(got[i]), $"maxpool k{k} s{stride} {h}×{w} at {i}: {got[i]} vs {expected.Data[i]}");
        }
        foreach (var (ca, cb, hw) in new[] { (1, 1, 1), (32, 32, 30), (3, 7, 257) })
        {
            var rng = new Random(seed++);
            var a = new Tensor(new Shape(2, ca, 1, hw), RandomFloats(rng, 2 * ca * hw, -1, 1));
            var b = new Tensor(new Shape(2, cb, 1, hw), RandomFloats(rng, 2 * cb * hw, -1, 1));
            var expected = ReferenceBackend.Instance.Execute(new ConcatOp(), a, b);
            using var da = Upload<float>(a.Data);
            using var db = Upload<float>(b.Data);
            using var dy = Alloc<float>(expected.Length);
            Kernels.ConcatChannels(da.Ptr, db.Ptr, dy.Ptr, 2, ca, cb, hw);
            Assert.Equal(expected.Data, dy.Download("concat"));
        }
        output.WriteLine("maxpool2d_f32 and concat_channels_f32: exact (NaN propagation included)");
    }

    /// <summary>
    /// The gradient kernels gather what the fast CPU path scatters, in the same order and with the same
    /// roundings: the resize's and the max-pool's gradients come out bit for bit as the CPU trains.
    /// </summary>
    [Fact]
    public void GradientKernelsEqualTheFastCpuPathBitForBit()
    {
        int seed = 40;
        foreach (var (inH, inW, outH, outW, align) in new[] { (8, 16, 16, 32, true), (2, 4, 4, 8, true), (7, 3, 5, 11, false), (1, 1, 3, 2, false), (16, 12, 4, 3, true), (9, 9, 36, 36, false) })
        {
            var rng = new Random(seed++);
            var dy = new Tensor(new Shape(2, 3, outH, outW), RandomFloats(rng, 6 * outH * outW, -1, 1));
            var op = new ResizeBilinearBackwardOp(new ResizeBilinearOp(outH, outW, align), inH, inW);
            var expected = FastBackend.Instance.Execute(op, dy);
            using var src = Upload<float>(dy.Data);
            using var dx = Alloc<float>(expected.Length);
            Kernels.ResizeBilinearBackward(src.Ptr, dx.Ptr, 6, inH, inW, outH, outW, align);
            Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), dx.Download("resize_bilinear_backward_f32").Select(BitConverter.SingleToInt32Bits));
        }
        foreach (var (h, w) in new[] { (8, 6), (9, 7), (64, 34) })
        {
            var rng = new Random(seed++);
            var x = new Tensor(new Shape(1, 5, h, w), RandomFloats(rng, 5 * h * w, -1, 1).Select(v => MathF.Round(v * 2) / 2).ToArray());
            x.Data[3] = float.NaN;
            var op = new MaxPool2dBackwardOp(new MaxPool2dOp());
            var dyShape = op.Forward.InferShape(new[] { x.Shape });
            var dy = new Tensor(dyShape, RandomFloats(rng, (int)dyShape.ElementCount, -1, 1));
            var expected = FastBackend.Instance.Execute(op, x, dy);
            using var dx = Upload<float>(x.Data);
            using var dg = Upload<float>(dy.Data);
            using var result = Alloc<float>(expected.Length);
            Kernels.MaxPoolBackward(dx.Ptr, dg.Ptr, result.Ptr, 5, h, w, dyShape.H, dyShape.W, 2, 2);
            Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), result.Download("maxpool2d_backward_f32").Select(BitConverter.SingleToInt32Bits));
        }
        output.WriteLine("resize_bilinear_backward_f32 and maxpool2d_backward_f32: bit-identical to the fast CPU path (ties and NaN included)");
    }

    [Fact]
    public void ChannelSumsAndMomentsOverSlicesMatchTheReference()
    {
        // Planes of 1 to 3 slices, two frames; a ramp along each plane and an offset per frame and channel, so
        // the slices' means differ by far more than their spread and the moments' combination of slices counts.
        const int frames = 2, channels = 3;
        double worst = 0;
        foreach (int plane in new[] { 1, 2047, 2048, 2049, 5000 })
        {
            var rng = new Random(plane);
            var x = new Tensor(new Shape(frames, channels, 1, plane));
            for (int n = 0; n < frames; n++)
            for (int c = 0; c < channels; c++)
            for (int i = 0; i < plane; i++)
                x.Data[(n * channels + c) * plane + i] = 40 + 5 * n + c + 30f * i / plane + 0.01f * (float)(rng.NextDouble() - 0.5);
            var sums = ReferenceBackend.Instance.Execute(new Conv2dBackwardBiasOp(channels), x);
            var moments = ReferenceBackend.Instance.Execute(new ChannelMomentsOp(), x);
            using var src = Upload<float>(x.Data);
            using var partials = Alloc<double>((int)(3 * CudaKernels.ChannelSlices(frames, channels, plane)));
            using var db = Alloc<float>(channels);
            using var y = Alloc<float>(2 * channels);
            Kernels.ChannelSum(src.Ptr, db.Ptr, partials.Ptr, frames, channels, plane);
            Kernels.ChannelMoments(src.Ptr, y.Ptr, partials.Ptr, frames, channels, plane);
            partials.Download("channel_moments_partials_f32");
            worst = Math.Max(worst, AssertClose(sums.Span, db.Download("channel_sum_finish_f32"), 0, 1e-7, $"channel sums of {plane}-pixel planes"));
            worst = Math.Max(worst, AssertClose(moments.Span, y.Download("channel_moments_finish_f32"), 0, 1e-7, $"channel moments of {plane}-pixel planes"));
        }
        // An empty input: every channel's sum is 0, written over what the output held.
        using (var empty = Alloc<float>(1))
        using (var none = Alloc<double>(1))
        using (var db = Alloc<float>(2))
        {
            Kernels.ChannelSum(empty.Ptr, db.Ptr, none.Ptr, 0, 2, 5);
            Assert.Equal(new[] { 0f, 0f }, db.Download("channel_sum_finish_f32"));
        }
        output.WriteLine($"channel sums and moments over 1–3 slices × 2 frames: worst |error| {worst:G3} (relative bound 1e-7)");
    }

    [Fact]
    public void CopyWindowMovesExactlyTheWindow()
    {
        var rng = new Random(6);
        foreach (var (planes, srcH, srcW, dstH, dstW) in new[] { (1, 1, 1, 1, 1), (3, 17, 29, 9, 11), (2, 40, 33, 40, 33), (5, 7, 300, 13, 5) })
        {
            var src = RandomFloats(rng, planes * srcH * srcW, -1, 1);
            var dstInit = RandomFloats(rng, planes * dstH * dstW, -1, 1);
            int h = rng.Next(1, Math.Min(srcH, dstH) + 1), w = rng.Next(1, Math.Min(srcW, dstW) + 1);
            int sy = rng.Next(srcH - h + 1), sx = rng.Next(srcW - w + 1), dy = rng.Next(dstH - h + 1), dx = rng.Next(dstW - w + 1);
            using var dSrc = Upload<float>(src);
            using var dDst = Upload<float>(dstInit);
            Kernels.CopyWindow(dSrc.Ptr, dDst.Ptr, planes, srcH, srcW, sy, sx, dstH, dstW, dy, dx, h, w);
            var expected = (float[])dstInit.Clone();
            for (int p = 0; p < planes; p++)
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                expected[(p * dstH + dy + y) * dstW + dx + x] = src[(p * srcH + sy + y) * srcW + sx + x];
            Assert.Equal(expected, dDst.Download("copy_window_f32"));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.CopyWindow(DevicePtr.Null, DevicePtr.Null, 1, 4, 4, 2, 2, 4, 4, 0, 0, 3, 3));
    }

    [Fact]
    public void GridStrideLoopsCoverDataBeyondACappedGrid()
    {
        var rng = new Random(5);
        var x = RandomFloats(rng, 10_000, -2, 2);
        using var dx = Upload<float>(x);
        using var dy = Alloc<float>(x.Length);
        Device.Launch("clamp_f32", new LaunchGeometry(new Dim3(3), new Dim3(64)), new KernelArgs().Ptr(dx.Ptr).Ptr(dy.Ptr).Long(x.Length).Float(-1).Float(1));
        Assert.Equal(x.Select(v => Math.Clamp(v, -1f, 1f)).ToArray(), dy.Download("clamp with 3 blocks of 64"));
    }

    [Fact]
    public void LaunchesThatTheGpuWouldRefuseFail()
    {
        using var dy = Alloc<float>(4);
        var args = new KernelArgs().Ptr(dy.Ptr).Ptr(dy.Ptr).Long(4).Float(0).Float(1);
        var tooBig = Assert.Throws<InvalidOperationException>(() => Device.Launch("clamp_f32", new LaunchGeometry(new Dim3(1), new Dim3(2048)), args));
        Assert.Contains("invalid launch geometry", tooBig.Message);
        var wrongArgs = Assert.Throws<ArgumentException>(() => Device.Launch("clamp_f32", LaunchGeometry.Linear(4), new KernelArgs().Ptr(dy.Ptr).Ptr(dy.Ptr).Int(4).Float(0).Float(1)));
        Assert.Contains("ptr,ptr,long,float,float", wrongArgs.Message);
    }

    private static Tensor Ones(int c)
    {
        var t = new Tensor(new Shape(c));
        Array.Fill(t.Data, 1f);
        return t;
    }
}
