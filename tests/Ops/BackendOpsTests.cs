using System.Text.Json;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Checkpoints;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
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

    /// <summary>The CUDA backend runs on the kernel emulator here; without cuDNN it declares convolutions unsupported.</summary>
    public static IEnumerable<IBackend> Backends => new IBackend[] { FastBackend.Instance, new CudaBackend(Cuda.EmulatedGpu.Device, convolutions: null) };

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
        foreach (var (op, n, h, w) in new[] { (OpticalFlowOp.Medium, 2, 24, 32), (OpticalFlowOp.Medium, 1, 41, 37), (OpticalFlowOp.Fast, 1, 64, 50) })
            yield return new Case(op, new[] { new Shape(n, 1, h, w), new Shape(n, 1, h, w) }, seed++);
        foreach (var (c, h, w) in new[] { (1, 1, 1), (3, 9, 11), (2, 17, 5) })
            yield return new Case(new WarpOp(), new[] { new Shape(2, c, h, w), new Shape(2, 2, h, w) }, seed++);
        foreach (var (h, w) in new[] { (1, 1), (13, 17) })
            yield return new Case(new FlowCheckOp(), new[] { new Shape(2, 2, h, w), new Shape(2, 2, h, w) }, seed++);
        foreach (var (op, c, h, w) in new[] { (new ScreenedPoissonOp(1f, 0.3f, 10), 3, 9, 11), (new ScreenedPoissonOp(0.5f, 0f, 4), 2, 1, 1), (new ScreenedPoissonOp(2f, 1f, 7, Robust: 0.4f), 1, 17, 23), (new ScreenedPoissonOp(1f, 0.3f, 5, Robust: 30f), 2, 8, 19) })
            yield return new Case(op, new[] { new Shape(2, c, h, w), new Shape(2, c, h, w), new Shape(2, 1, h, w) }, seed++);
        foreach (var (keep, t, bins, h, w) in new[] { (0.7f, 0.38f, 313, 5, 7), (1f, 1f, 4, 3, 3), (0f, 0.5f, 313, 1, 2) })
            yield return new Case(new FuseDistributionsOp(keep, t), new[] { new Shape(2, bins, h, w), new Shape(2, bins, h, w), new Shape(2, 1, h, w) }, seed++);
        foreach (var s in new[] { new Shape(1, 1, 1, 1), new Shape(2, 3, 5, 7), new Shape(1, 64, 17, 33) })
        {
            yield return new Case(new AffineOp(s.C), new[] { s }, seed++);
            yield return new Case(new AffineOp(s.C, Activation.Relu), new[] { s }, seed++);
            yield return new Case(new ReluOp(), new[] { s }, seed++);
            yield return new Case(new SubtractOp(), new[] { s, s }, seed++);
            yield return new Case(new ClampOp(0f, 1f), new[] { s }, seed++);
            yield return new Case(new ClampOp(-0.25f, 0.5f), new[] { s }, seed++);
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
        foreach (var backend in Backends)
        foreach (var c in Cases())
        {
            if (!backend.Supports(c.Op))
            {
                unsupported++;
                Console.WriteLine($"skipped (unsupported on {backend.Name}): {c}");
                continue;
            }
            var rng = new Random(c.Seed);
            var inputs = InputsFor(c, rng);
            var parameters = ParametersFor(c.Op, rng);
            var expected = ReferenceBackend.Instance.Prepare(c.Op, parameters).Run(inputs);

            var outShape = c.Op.InferShape(c.Inputs);
            var buffer = new float[outShape.ElementCount + SentinelCount];
            Array.Fill(buffer, Sentinel);
            var actual = new Tensor(outShape, buffer);
            backend.Prepare(c.Op, parameters).RunInto(actual, inputs);

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

    /// <summary>Random activations; two frames of a moving texture for the flow, displacements of a few pixels for warps.</summary>
    private static Tensor[] InputsFor(Case c, Random rng)
    {
        if (c.Op is OpticalFlowOp)
        {
            var s = c.Inputs[0];
            var (a, b) = (new Tensor(s), new Tensor(s));
            for (int n = 0; n < s.N; n++)
            {
                var (fa, fb) = OpticalFlowTests.ShiftedNoisePair(rng, s.W, s.H);
                fa.Data.CopyTo(a.Data, n * s.H * s.W);
                fb.Data.CopyTo(b.Data, n * s.H * s.W);
            }
            return new[] { a, b };
        }
        var inputs = c.Inputs.Select((s, i) => RandomTensor(s, rng, c.Op switch
        {
            AnnealedMeanOp => 8f,
            FuseDistributionsOp when i < 2 => 8f,
            WarpOp when i == 1 => 6f,
            FlowCheckOp => 3f,
            _ => 1f,
        })).ToArray();
        if (c.Op is ScreenedPoissonOp or FuseDistributionsOp)
            for (int k = 0; k < inputs[2].Length; k++) inputs[2].Data[k] = Math.Abs(inputs[2].Data[k]);
        return inputs;
    }

    private static Tensor[] ParametersFor(Op op, Random rng) => op switch
    {
        AnnealedMeanOp => op.ParameterShapes.Select(s => RandomTensor(s, rng, 110f)).ToArray(),
        Conv2dOp c => op.ParameterShapes.Select((s, i) =>
            RandomTensor(s, rng, i == 0 ? 1f / MathF.Sqrt(c.InChannels * c.KernelH * c.KernelW) : 0.5f)).ToArray(),
        _ => op.ParameterShapes.Select(s => RandomTensor(s, rng, 1f)).ToArray(),
    };

    private static Tensor RandomTensor(Shape s, Random rng, float scale)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return t;
    }
}
