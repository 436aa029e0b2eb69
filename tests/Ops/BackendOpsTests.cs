using System.Text.Json;
using Reel.Cli.Commands;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Checkpoints;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;
using Reel.Tests.Support;

namespace Reel.Tests.Ops;

/// <summary>
/// Every op on every backend against the CPU reference (ggml's test-backend-ops idea):
/// random inputs, parameter sweeps, odd sizes, and sentinels after the output buffer.
/// </summary>
public class BackendOpsTests
{
    private const float Sentinel = 1234.5f;
    private const int SentinelCount = 37;

    /// <summary>
    /// The CUDA backend runs its kernels on the emulator here, with the convolutions (where cuDNN
    /// stands on a GPU) computed on the host in stream order; the ops take host tensors, staged.
    /// </summary>
    public static IBackend[] Backends() => new IBackend[] { FastBackend.Instance, Cuda.EmulatedGpu.Backend() };

    /// <summary>One case: an op, its activation shapes and a seed.</summary>
    public sealed record Case(Op Op, Shape[] Inputs, int Seed)
    {
        public override string ToString() => $"{Op} on {string.Join(" & ", Inputs.Select(s => s.ToString()))}";
    }

    public static IEnumerable<Case> Cases()
    {
        int seed = 0;
        foreach (var (cin, cout) in new[] { (1, 64), (3, 3), (64, 64), (64, 1), (5, 13) })
        foreach (var k in new[] { 1, 3, 4 })
        foreach (var stride in new[] { 1, 2 })
        foreach (var dil in new[] { 1, 2 })
        foreach (var pad in new[] { 0, 1, 2 })
        {
            if (cin == 64 && cout == 64 && (k != 3 || pad == 2)) continue; // keep the scalar oracle quick
            foreach (var act in new[] { Activation.None, Activation.Relu })
            {
                var op = new Conv2dOp(cin, cout, k, k, stride, pad, dil, HasBias: (seed & 1) == 0, Activation: act);
                var shape = new Shape(2, cin, 9 + seed % 5, 7 + seed % 11);
                if (TryInfer(op, shape)) yield return new Case(op, new[] { shape }, seed);
                seed++;
            }
        }
        foreach (var (cin, cout, k, stride, pad) in new[] { (3, 5, 4, 2, 1), (8, 4, 3, 1, 1), (2, 7, 2, 2, 0), (16, 9, 4, 2, 1), (1, 1, 1, 1, 0), (4, 3, 3, 2, 2) })
        foreach (var act in new[] { Activation.None, Activation.Relu })
        {
            var op = new ConvTranspose2dOp(cin, cout, k, stride, pad, HasBias: (seed & 1) == 0, Activation: act);
            yield return new Case(op, new[] { new Shape(2, cin, 5 + seed % 4, 3 + seed % 7) }, seed++);
        }
        // Chains of convolutions (DnCNN's layers run as one): a stride and a dilation inside, layers with neither bias nor ReLU.
        foreach (var layers in new[]
        {
            new[] { new Conv2dOp(1, 8, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu), new Conv2dOp(8, 8, 3, 3, 1, 1, HasBias: true, Activation: Activation.Relu), new Conv2dOp(8, 1, 3, 3, 1, 1) },
            new[] { new Conv2dOp(3, 5, 3, 3, 2, 1, HasBias: false), new Conv2dOp(5, 4, 3, 3, 1, 2, 2, HasBias: true, Activation: Activation.Relu) },
        })
            yield return new Case(new ConvChainOp("test chain", layers), new[] { new Shape(2, layers[0].InChannels, 11, 9) }, seed++);
        foreach (var (inH, inW, outH, outW) in new[] { (4, 5, 16, 20), (7, 3, 5, 11), (1, 1, 3, 2), (9, 9, 9, 9), (16, 12, 4, 3) })
        foreach (var align in new[] { false, true })
            yield return new Case(new ResizeBilinearOp(outH, outW, align), new[] { new Shape(2, 3, inH, inW) }, seed++);
        foreach (var t in new[] { 1f, 0.38f, 0.05f })
        foreach (var (bins, h, w) in new[] { (313, 5, 7), (313, 33, 17), (4, 1, 1) })
            yield return new Case(new AnnealedMeanOp(bins, t), new[] { new Shape(2, bins, h, w) }, seed++);
        foreach (var (k, stride, h, w) in new[] { (2, 2, 8, 6), (2, 2, 9, 7), (2, 2, 6, 37), (3, 2, 11, 8), (2, 1, 5, 5), (1, 1, 3, 4) })
            yield return new Case(new MaxPool2dOp(k, stride), new[] { new Shape(2, 5, h, w) }, seed++);
        foreach (var (ca, cb) in new[] { (1, 1), (32, 32), (3, 7) })
            yield return new Case(new ConcatOp(), new[] { new Shape(2, ca, 6, 5), new Shape(2, cb, 6, 5) }, seed++);
        foreach (var (ca, cb, offset) in new[] { (3, 3, 0), (3, 7, 4), (1, 5, 2) })
            yield return new Case(new AddOp(offset), new[] { new Shape(2, ca, 5, 7), new Shape(2, cb, 5, 7) }, seed++);
        foreach (var (c, start, count) in new[] { (7, 2, 3), (7, 0, 4), (4, 3, 1) })
            yield return new Case(new SliceChannelsOp(start, count), new[] { new Shape(2, c, 4, 5) }, seed++);
        foreach (var c in BackwardCases(seed)) yield return c;
        foreach (var s in new[] { new Shape(1, 3, 1, 1), new Shape(2, 3, 7, 9), new Shape(1, 3, 16, 33) })
        {
            yield return new Case(new RgbToLabOp(), new[] { s }, seed++);
            yield return new Case(new LabToRgbOp(), new[] { s }, seed++);
        }
        foreach (var (n, c, h, w) in new[] { (1, 1, 1, 1), (2, 2, 7, 9), (1, 3, 33, 40) })
            yield return new Case(new ChannelMomentsOp(), new[] { new Shape(n, c, h, w) }, seed++);
        foreach (var (c, h, w) in new[] { (3, 1, 1), (1, 7, 9), (3, 16, 33) })
            yield return new Case(new RecolorOp(), new[] { new Shape(2, c, h, w), new Shape(2, 2, h, w) }, seed++);
        foreach (var (c, h, w) in new[] { (3, 1, 1), (3, 5, 7) })
            yield return new Case(new ExpandChannelsOp(c), new[] { new Shape(2, 1, h, w) }, seed++);
        foreach (var (multiple, h, w) in new[] { (32, 20, 13), (8, 8, 16), (16, 3, 5), (4, 1, 2) })
            yield return new Case(new PadReflectOp(multiple), new[] { new Shape(2, 2, h, w) }, seed++);
        foreach (var (h, w, top, left) in new[] { (1, 1, 0, 0), (5, 3, 0, 0), (9, 12, 0, 0), (4, 5, 3, 7), (1, 1, 8, 11), (9, 2, 0, 10) })
            yield return new Case(new CropOp(h, w, top, left), new[] { new Shape(2, 3, 9, 12) }, seed++);
        foreach (var (h, w, top, left) in new[] { (4, 5, 3, 7), (9, 12, 0, 0), (1, 1, 8, 11), (2, 12, 5, 0) })
            yield return new Case(new PasteOp(top, left), new[] { new Shape(2, 3, 9, 12), new Shape(2, 3, h, w) }, seed++);
        foreach (var (inH, inW, outH, outW) in new[] { (64, 48, 16, 16), (37, 23, 9, 31), (5, 5, 20, 15), (1, 1, 4, 4), (30, 1, 7, 1) })
            yield return new Case(new ResizeBicubicOp(outH, outW), new[] { new Shape(2, 2, inH, inW) }, seed++);
        foreach (var (op, n, h, w) in new[] { (OpticalFlowOp.Medium, 2, 24, 32), (OpticalFlowOp.Medium, 1, 41, 37), (OpticalFlowOp.Fast, 1, 64, 50) })
            yield return new Case(op, new[] { new Shape(n, 1, h, w), new Shape(n, 1, h, w) }, seed++);
        foreach (var (c, h, w) in new[] { (1, 1, 1), (3, 9, 11), (2, 17, 5) })
            yield return new Case(new WarpOp(), new[] { new Shape(2, c, h, w), new Shape(2, 2, h, w) }, seed++);
        foreach (var (h, w) in new[] { (1, 1), (13, 17) })
            yield return new Case(new FlowCheckOp(), new[] { new Shape(2, 2, h, w), new Shape(2, 2, h, w) }, seed++);
        foreach (var (op, c, h, w) in new[] { (new ModeHoldOp(0.5f, 1f, 3), 2, 9, 11), (new ModeHoldOp(0f, 0.6f, 1), 1, 1, 1), (new ModeHoldOp(0.8f, 0f, 6), 3, 17, 5), (new ModeHoldOp(0.5f, 1f, 3, MinTracked: 2), 2, 13, 17) })
            yield return new Case(op, new[] { new Shape(2, c, h, w), new Shape(2, c + 1, h, w), new Shape(2, 1, h, w) }, seed++);
        foreach (var (op, c, h, w) in new[] { (new ScreenedPoissonOp(1f, 0.3f, 10), 3, 9, 11), (new ScreenedPoissonOp(0.5f, 0f, 4), 2, 1, 1), (new ScreenedPoissonOp(2f, 1f, 7, Robust: 0.4f), 1, 17, 23), (new ScreenedPoissonOp(1f, 0.3f, 5, Robust: 30f), 2, 8, 19) })
            yield return new Case(op, new[] { new Shape(2, c, h, w), new Shape(2, c, h, w), new Shape(2, 1, h, w) }, seed++);
        foreach (var (keep, t, bins, h, w) in new[] { (0.7f, 0.38f, 313, 5, 7), (1f, 1f, 4, 3, 3), (0f, 0.5f, 313, 1, 2) })
            yield return new Case(new FuseDistributionsOp(keep, t), new[] { new Shape(2, bins, h, w), new Shape(2, bins, h, w), new Shape(2, 1, h, w) }, seed++);
        seed += 1000;
        foreach (var s in new[] { new Shape(1, 1, 1, 1), new Shape(2, 3, 5, 7), new Shape(1, 64, 17, 33) })
        {
            yield return new Case(new AffineOp(s.C), new[] { s }, seed++);
            yield return new Case(new AffineOp(s.C, Activation.Relu), new[] { s }, seed++);
            yield return new Case(new ReluOp(), new[] { s }, seed++);
            yield return new Case(new SubtractOp(), new[] { s, s }, seed++);
            yield return new Case(new ClampOp(0f, 1f), new[] { s }, seed++);
            yield return new Case(new ClampOp(-0.25f, 0.5f), new[] { s }, seed++);
        }
        foreach (var (factor, h, w) in new[] { (2, 8, 6), (2, 9, 7), (3, 10, 4), (1, 5, 3), (4, 3, 2) })
            yield return new Case(new DecimateOp(factor), new[] { new Shape(2, 3, h, w) }, seed++);
        foreach (var (h, w) in new[] { (1, 1), (5, 13), (24, 32) })
            yield return new Case(new Luma8Op(), new[] { new Shape(2, 3, h, w) }, seed++);
        foreach (var (width, c, h, w) in new[] { (32, 3, 24, 32), (32, 3, 45, 80), (32, 1, 7, 5), (4, 3, 9, 10), (32, 2, 1, 70) })
            yield return new Case(new ThumbnailOp(width), new[] { new Shape(2, c, h, w) }, seed++);
    }

    /// <summary>The gradients and the training ops: every conv configuration the forward sweep has a representative of, the U-Net's own shapes, batches.</summary>
    private static IEnumerable<Case> BackwardCases(int seed)
    {
        foreach (var (cin, cout, k, stride, pad, dil, n, h, w) in new[]
        {
            (3, 8, 3, 1, 1, 1, 1, 9, 13), (16, 5, 3, 1, 1, 1, 1, 7, 6), (4, 4, 1, 1, 0, 1, 1, 5, 5), (6, 3, 5, 1, 2, 1, 1, 8, 9),
            (5, 7, 3, 1, 1, 1, 2, 6, 7), (3, 4, 3, 2, 1, 1, 2, 9, 8), (2, 3, 4, 2, 1, 1, 1, 10, 7), (3, 2, 3, 1, 2, 2, 1, 8, 7),
            (4, 6, 3, 1, 0, 1, 1, 7, 9), (1, 64, 3, 1, 1, 1, 1, 12, 11), (64, 1, 3, 1, 1, 1, 1, 6, 5),
        })
        {
            var forward = new Conv2dOp(cin, cout, k, k, stride, pad, dil);
            var x = new Shape(n, cin, h, w);
            var y = forward.InferShape(new[] { x });
            yield return new Case(new Conv2dBackwardDataOp(forward, h, w), new[] { y }, seed++);
            yield return new Case(new Conv2dBackwardWeightOp(forward), new[] { x, y }, seed++);
            yield return new Case(new Conv2dBackwardBiasOp(cout), new[] { y }, seed++);
        }
        foreach (var s in new[] { new Shape(1, 1, 1, 1), new Shape(2, 3, 5, 7), new Shape(1, 64, 17, 33) })
            yield return new Case(new ReluBackwardOp(), new[] { s, s }, seed++);
        foreach (var (k, stride, h, w) in new[] { (2, 2, 8, 6), (2, 2, 9, 7), (2, 2, 6, 37), (3, 2, 11, 8), (2, 1, 5, 5), (1, 1, 3, 4) })
        {
            var forward = new MaxPool2dOp(k, stride);
            var x = new Shape(2, 5, h, w);
            yield return new Case(new MaxPool2dBackwardOp(forward), new[] { x, forward.InferShape(new[] { x }) }, seed++);
        }
        foreach (var (inH, inW, outH, outW) in new[] { (4, 5, 16, 20), (7, 3, 5, 11), (1, 1, 3, 2), (9, 9, 9, 9), (16, 12, 4, 3), (8, 16, 16, 32) })
        foreach (var align in new[] { false, true })
            yield return new Case(new ResizeBilinearBackwardOp(new ResizeBilinearOp(outH, outW, align), inH, inW), new[] { new Shape(2, 3, outH, outW) }, seed++);
        foreach (var kind in new[] { PriorLossKind.L1, PriorLossKind.IrtInit, PriorLossKind.Irt })
        foreach (var (h, w, vh, vw) in new[] { (1, 1, 1, 1), (8, 12, 5, 9), (16, 16, 16, 16) })
        {
            var frame = new Shape(1, 3, h, w);
            var o = new Shape(1, kind == PriorLossKind.L1 ? 3 : 6, h, w);
            yield return new Case(new PriorLossOp(kind, vh, vw), new[] { o, frame, frame }, seed++);
            yield return new Case(new PriorLossBackwardOp(kind, vh, vw), new[] { o, frame, frame }, seed++);
        }
        // The step's bias corrections are an input, from a step t in 1…10 (SelfTestInputs).
        foreach (int n in new[] { 1, 4099, 300 })
        {
            var s = new Shape(n);
            yield return new Case(new AdamStepOp(1e-3f, 0.9f, 0.999f, 1e-8f), new[] { s, s, s, s, new Shape(2) }, seed++);
        }
    }

    [Fact]
    public void EveryDeclaredOpHasCases()
    {
        var declared = typeof(Op).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Op)) && !t.IsAbstract).ToHashSet();
        var covered = Cases().Select(c => c.Op.GetType()).ToHashSet();
        Assert.Empty(declared.Except(covered).Select(t => t.Name));
    }

    [Fact]
    public void EveryBackendMatchesTheReferenceOrDeclaresUnsupported()
    {
        int compared = 0, unsupported = 0;
        double worst = 0;
        var backends = Backends();
        using var gpu = (IDisposable)backends[1];
        foreach (var backend in backends)
        foreach (var c in Cases())
        {
            if (!backend.Supports(c.Op))
            {
                unsupported++;
                Console.WriteLine($"skipped (unsupported on {backend.Name}): {c}");
                continue;
            }
            var rng = new Random(c.Seed);
            var inputs = SelfTestInputs.Activations(c.Op, c.Inputs, rng);
            var parameters = SelfTestInputs.Parameters(c.Op, rng);
            // Each run gets its own copy: Adam updates its moments in place.
            var expected = ReferenceBackend.Instance.Prepare(c.Op, parameters).Run(inputs.Select(t => t.Clone()).ToArray());

            var outShape = c.Op.InferShape(c.Inputs);
            var buffer = new float[outShape.ElementCount + SentinelCount];
            Array.Fill(buffer, Sentinel);
            var actual = new Tensor(outShape, buffer);
            backend.Prepare(c.Op, parameters).RunInto(actual, inputs.Select(t => t.Clone()).ToArray());

            for (int i = actual.Length; i < buffer.Length; i++)
                Assert.True(buffer[i] == Sentinel, $"{backend.Name} wrote past the output of {c} at +{i - actual.Length}");
            worst = Math.Max(worst, Tolerance.AssertClose(expected, actual, 2e-5, 2e-5, $"{backend.Name}: {c}", report: false));
            compared++;
        }
        Assert.True(compared > 100, $"only {compared} cases ran");
        Console.WriteLine($"{compared} cases compared, {unsupported} unsupported, worst max |err| {worst:G3}");
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)]
    [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void ConvMatchesPyTorch(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Golden.Dncnn.File($"conv_{index}.json")));
        var j = doc.RootElement;
        int k = j.GetProperty("k").GetInt32();
        bool bias = j.GetProperty("bias").GetBoolean();
        var op = new Conv2dOp(j.GetProperty("cin").GetInt32(), j.GetProperty("cout").GetInt32(), k, k,
            j.GetProperty("stride").GetInt32(), j.GetProperty("pad").GetInt32(), j.GetProperty("dil").GetInt32(), bias);
        var x = Npy.Read(Golden.Dncnn.File($"conv_{index}_x.npy"));
        var w = Npy.Read(Golden.Dncnn.File($"conv_{index}_w.npy"));
        var b = Npy.Read(Golden.Dncnn.File($"conv_{index}_b.npy"));
        var expected = Npy.Read(Golden.Dncnn.File($"conv_{index}_y.npy"));
        var parameters = bias ? new[] { w, b } : new[] { w };
        foreach (var backend in new IBackend[] { ReferenceBackend.Instance, new FastBackend(ConvPath.ImplicitGemm), new FastBackend(ConvPath.Im2Col), new FastBackend(ConvPath.WinogradF2) })
            Tolerance.AssertClose(expected, backend.Prepare(op, parameters).Run(x), 1e-4, 1e-5, $"{backend.Name} ({(backend as FastBackend)?.ConvPath}) vs PyTorch conv_{index}");
        // Winograd's rounding scales with the size of the terms summed, not with each output: these
        // goldens use unscaled randn weights (outputs up to ~100), so its bound grows with max|y|
        // (4e-6·max|y|, the Σ|w·x| bound of ConvPathTests expressed in output units with room).
        var winograd = new FastBackend(ConvPath.WinogradF4);
        if (ConvPlan.Applicable(ConvPath.WinogradF4, op))
        {
            double maxY = expected.Span.ToArray().Max(Math.Abs);
            Tolerance.AssertClose(expected, winograd.Prepare(op, parameters).Run(x), 1e-4 + 4e-6 * maxY, 1e-5, $"winograd vs PyTorch conv_{index}");
        }
    }

    /// <summary>
    /// The flow's luma and the cuts' thumbnail feed decisions (DIS's patch search, a threshold), so
    /// every backend must give the reference's bits, not close values: levels exactly halfway between
    /// two steps, values past both ends, row tails the vector loop leaves, uneven thumbnail boxes,
    /// and a frame large enough for the fast path's parallel rows.
    /// </summary>
    [Fact]
    public void LumaAndThumbnailAreTheReferencesBitForBit()
    {
        using var gpu = Cuda.EmulatedGpu.Backend();
        var cases = new (Op Op, Shape X)[]
        {
            (new Luma8Op(), new Shape(1, 3, 1, 1)), (new Luma8Op(), new Shape(2, 3, 5, 13)), (new Luma8Op(), new Shape(1, 3, 256, 300)),
            (new ThumbnailOp(32), new Shape(2, 3, 24, 32)), (new ThumbnailOp(32), new Shape(1, 3, 45, 80)), (new ThumbnailOp(32), new Shape(1, 1, 7, 5)),
            (new ThumbnailOp(32), new Shape(1, 3, 256, 300)),
        };
        var rng = new Random(17);
        int values = 0;
        foreach (var (op, shape) in cases)
        {
            var x = new Tensor(shape);
            for (int i = 0; i < x.Length; i++) x.Data[i] = i % 5 == 0 ? (rng.Next(256) + 0.5f) / 255f : (float)(rng.NextDouble() * 1.2 - 0.1);
            var expected = ReferenceBackend.Instance.Execute(op, x);
            foreach (var backend in new IBackend[] { FastBackend.Instance, gpu })
            {
                using var input = backend.Import(x);
                using var y = backend.Execute(op, input);
                var got = y.ToHost();
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected.Data[i]) == BitConverter.SingleToInt32Bits(got.Data[i]),
                        $"{backend.Name}: {op} on {shape} at {i}: {got.Data[i]:R}, the reference {expected.Data[i]:R}");
                values += expected.Length;
            }
        }
        Assert.True(values > 150_000, $"only {values} values compared");
    }

    [Fact]
    public void ShapeInferenceRejectsMismatches()
    {
        var conv = new Conv2dOp(3, 8, 3, 3, Padding: 1);
        Assert.Equal(new Shape(1, 8, 5, 6), conv.InferShape(new[] { new Shape(1, 3, 5, 6) }));
        Assert.Equal(new Shape(1, 8, 3, 3), (conv with { Stride = 2 }).InferShape(new[] { new Shape(1, 3, 5, 6) }));
        Assert.Throws<ArgumentException>(() => conv.InferShape(new[] { new Shape(1, 4, 5, 6) }));
        Assert.Throws<ArgumentException>(() => new Conv2dOp(1, 1, 5, 5).InferShape(new[] { new Shape(1, 1, 3, 3) }));
        Assert.Throws<ArgumentException>(() => new SubtractOp().InferShape(new[] { new Shape(1, 1, 3, 3), new Shape(1, 1, 3, 4) }));
        Assert.Throws<ArgumentException>(() => FastBackend.Instance.Prepare(conv, new Tensor(new Shape(8, 3, 3, 3))));
    }

    private static bool TryInfer(Op op, Shape s)
    {
        try
        {
            op.InferShape(new[] { s });
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
