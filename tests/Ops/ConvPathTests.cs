using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Ops;

/// <summary>
/// Every convolution algorithm of the fast backend, forced in turn, against the scalar reference:
/// odd sizes, channel counts that are not multiples of 6, 8 or 16, dilation, padding, batch 2,
/// sentinels after the output. The plan's own choice is checked too.
/// </summary>
public class ConvPathTests(ITestOutputHelper log)
{
    private const float Sentinel = 1234.5f;
    private const int SentinelCount = 41;

    public static TheoryData<ConvPath> Paths => new() { ConvPath.ImplicitGemm, ConvPath.Im2Col, ConvPath.WinogradF4, ConvPath.WinogradF2 };

    private static IEnumerable<(Conv2dOp Op, Shape Input)> Cases()
    {
        int seed = 0;
        foreach (var (cin, cout) in new[] { (1, 1), (3, 5), (16, 16), (17, 30), (64, 64), (40, 7) })
        foreach (var (h, w) in new[] { (1, 1), (4, 4), (5, 9), (13, 7), (17, 33), (24, 20) })
        foreach (var (dil, pad) in new[] { (1, 1), (1, 0), (2, 2), (2, 1), (3, 3) })
        {
            seed++;
            if (cin * cout > 1000 && h * w > 400 && dil > 1) continue; // keep the scalar oracle quick
            var act = seed % 2 == 0 ? Activation.Relu : Activation.None;
            var op = new Conv2dOp(cin, cout, 3, 3, 1, pad, dil, HasBias: seed % 3 != 0, Activation: act);
            var shape = new Shape(seed % 4 == 0 ? 2 : 1, cin, h, w);
            if (h + 2 * pad >= 2 * dil + 1 && w + 2 * pad >= 2 * dil + 1) yield return (op, shape);
        }
        // Wide rows: F(4,3)'s in-register gather and scatter of 8 whole tiles (and a partial group).
        yield return (new Conv2dOp(19, 21, 3, 3, 1, 1, 1, HasBias: true, Activation: Activation.Relu), new Shape(1, 19, 6, 70));
        yield return (new Conv2dOp(16, 17, 3, 3, 1, 0, 1, HasBias: false), new Shape(2, 16, 9, 66));
        // Not Winograd's: 1×1, strided, 4×4 kernels.
        yield return (new Conv2dOp(13, 9, 1, 1, HasBias: true), new Shape(2, 13, 7, 11));
        yield return (new Conv2dOp(9, 14, 3, 3, 2, 1, 1, HasBias: true, Activation: Activation.Relu), new Shape(1, 9, 15, 10));
        yield return (new Conv2dOp(5, 6, 4, 4, 2, 1, 1, HasBias: false), new Shape(1, 5, 12, 9));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ForcedPathMatchesTheReference(ConvPath path)
    {
        var backend = new FastBackend(path);
        int compared = 0;
        double worstRatio = 0;
        foreach (var (op, shape) in Cases())
        {
            if (!ConvPlan.Applicable(path, op)) continue;
            var rng = new Random(compared + 17);
            var x = Random(shape, rng, 1f);
            var ps = op.ParameterShapes.Select((s, i) => Random(s, rng, i == 0 ? 1f / MathF.Sqrt(op.InChannels * 9) : 0.5f)).ToArray();
            var expected = ReferenceBackend.Instance.Prepare(op, ps).Run(x);
            var outShape = op.InferShape(new[] { shape });
            var buffer = new float[outShape.ElementCount + SentinelCount];
            Array.Fill(buffer, Sentinel);
            var actual = new Tensor(outShape, buffer);
            var prepared = backend.Prepare(op, ps);
            prepared.RunInto(actual, x);
            for (int i = actual.Length; i < buffer.Length; i++)
                Assert.True(buffer[i] == Sentinel, $"{path} wrote past the output of {op} on {shape}");
            double scale = AbsSumScale(op, ps[0], x);
            double atol = AbsoluteTolerance(path) * scale;
            double err = Tolerance.AssertClose(expected, actual, atol, 0, $"{path}: {op} on {shape}", report: false);
            worstRatio = Math.Max(worstRatio, err / scale);
            // A second run reuses the plan and its scratch; it must give the same bits.
            var again = prepared.Run(x);
            Assert.Equal(actual.Span.ToArray(), again.Span.ToArray());
            compared++;
        }
        log.WriteLine($"{path}: {compared} cases, worst max|err| / max Σ|w·x| = {worstRatio:G3}");
        Assert.True(compared >= 20, $"only {compared} cases for {path}");
    }

    /// <summary>
    /// ∂x is the convolution of dy with W transposed in its channels and rotated 180°: every path
    /// reads W that way itself, with no rotated copy, and must give the reference's ∂x.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void DataGradientOnEveryPathMatchesTheReference(ConvPath path)
    {
        var backend = new FastBackend(path);
        int seed = 5;
        foreach (var (cin, cout, h, w) in new[] { (16, 24, 11, 13), (17, 30, 9, 70), (32, 16, 20, 8), (3, 5, 6, 7) })
        {
            var forward = new Conv2dOp(cin, cout, 3, 3, 1, 1);
            var op = new Conv2dBackwardDataOp(forward, h, w);
            var rng = new Random(seed++);
            var weight = Random(forward.ParameterShapes[0], rng, 1f / MathF.Sqrt(cin * 9));
            var dy = Random(new Shape(1, cout, h, w), rng, 1f);
            var expected = ReferenceBackend.Instance.Prepare(op, weight).Run(dy);
            var actual = backend.Prepare(op, weight).Run(dy);
            double scale = AbsSumScale(new Conv2dOp(cout, cin, 3, 3, 1, 1), weight, dy);
            Tolerance.AssertClose(expected, actual, AbsoluteTolerance(path) * scale, 0, $"{path}: ∂x of {forward} on {h}×{w}");
        }
    }

    [Fact]
    public void PlanChoosesWinogradForWide3x3StrideOne()
    {
        Assert.Equal(ConvPath.WinogradF4, ConvPlan.Choose(new Conv2dOp(64, 64, 3, 3, 1, 1)));
        Assert.Equal(ConvPath.WinogradF4, ConvPlan.Choose(new Conv2dOp(512, 512, 3, 3, 1, 2, 2)));
        // Training transforms the weights every step: Winograd only where the map pays for it.
        Assert.Equal(ConvPath.ImplicitGemm, ConvPlan.Choose(new Conv2dOp(64, 64, 3, 3, 1, 1), trainingPixels: 16 * 16));
        Assert.Equal(ConvPath.WinogradF4, ConvPlan.Choose(new Conv2dOp(64, 64, 3, 3, 1, 1), trainingPixels: ConvPlan.MinTrainingPixels));
        Assert.Equal(ConvPath.ImplicitGemm, ConvPlan.Choose(new Conv2dOp(1, 64, 3, 3, 1, 1)));
        Assert.Equal(ConvPath.Im2Col, ConvPlan.Choose(new Conv2dOp(64, 64, 3, 3, 2, 1)));
        Assert.Equal(ConvPath.ImplicitGemm, ConvPlan.Choose(new Conv2dOp(256, 313, 1, 1)));
        // Forcing a path that does not apply falls back to the plan's choice.
        Assert.Equal(ConvPath.Im2Col, ConvPlan.Choose(new Conv2dOp(64, 64, 3, 3, 2, 1), ConvPath.WinogradF4));
    }

    /// <summary>
    /// Maps whose padded copy passes 8 MiB run the implicit GEMM band by band. Every output must
    /// still be one FMA chain over the whole depth in order, so it equals im2col's bit for bit
    /// (and the reference within the GEMM bound), including the last, shorter band, dilation,
    /// and the second image of a batch.
    /// </summary>
    [Theory]
    [InlineData(8, 5, 1, 1, 1, 512, 520)]
    [InlineData(9, 4, 2, 2, 2, 515, 509)]
    public void BandedImplicitGemmEqualsIm2ColBitForBit(int cin, int cout, int dil, int pad, int n, int h, int w)
    {
        Assert.True((long)cin * (h + 2 * pad) * (w + 2 * pad) * sizeof(float) >= 8 << 20, "the input must be large enough to be banded");
        var op = new Conv2dOp(cin, cout, 3, 3, 1, pad, dil, HasBias: true, Activation: Activation.Relu);
        var rng = new Random(h);
        var x = Random(new Shape(n, cin, h, w), rng, 1f);
        var wt = Random(op.ParameterShapes[0], rng, 1f / MathF.Sqrt(cin * 9));
        var b = Random(op.ParameterShapes[1], rng, 0.5f);
        AssertImplicitEqualsIm2ColBitForBit(op, x, wt, b, "banded");
    }

    /// <summary>
    /// One output channel (DnCNN's last layer) skips the tiles and sums each output on its own, a
    /// band of rows at a time: still one FMA chain per output over the depth in order, so im2col's
    /// bits, with the last short band, dilation, a 1×1 kernel and the second image of a batch.
    /// </summary>
    [Theory]
    [InlineData(64, 3, 1, 1, 1, 37, 45, true)]
    [InlineData(5, 3, 2, 2, 2, 20, 9, false)]
    [InlineData(7, 1, 1, 0, 1, 9, 33, true)]
    public void SingleOutputChannelEqualsIm2ColBitForBit(int cin, int k, int dil, int pad, int n, int h, int w, bool relu)
    {
        var op = new Conv2dOp(cin, 1, k, k, 1, pad, dil, HasBias: true, Activation: relu ? Activation.Relu : Activation.None);
        var rng = new Random(cin);
        var x = Random(new Shape(n, cin, h, w), rng, 1f);
        var wt = Random(op.ParameterShapes[0], rng, 1f / MathF.Sqrt(cin * k * k));
        var b = Random(op.ParameterShapes[1], rng, 0.5f);
        AssertImplicitEqualsIm2ColBitForBit(op, x, wt, b, "single output");
    }

    /// <summary>The implicit GEMM's output equals im2col's bit for bit, and the reference within the GEMM bound.</summary>
    private static void AssertImplicitEqualsIm2ColBitForBit(Conv2dOp op, Tensor x, Tensor wt, Tensor b, string what)
    {
        var implicitGemm = new FastBackend(ConvPath.ImplicitGemm).Prepare(op, wt, b).Run(x);
        var im2col = new FastBackend(ConvPath.Im2Col).Prepare(op, wt, b).Run(x);
        Assert.Equal(im2col.Data.Select(BitConverter.SingleToInt32Bits), implicitGemm.Data.Select(BitConverter.SingleToInt32Bits));
        var expected = ReferenceBackend.Instance.Prepare(op, wt, b).Run(x);
        Tolerance.AssertClose(expected, implicitGemm, AbsoluteTolerance(ConvPath.ImplicitGemm) * AbsSumScale(op, wt, x), 0, $"{what} {op}");
    }

    [Theory]
    [InlineData(ConvPath.WinogradF4)]
    [InlineData(ConvPath.WinogradF2)]
    public void WinogradSplitsWideRowsIntoChunks(ConvPath path)
    {
        // A tile row too wide for one block (4752 slots for F(4,3), 9504 for F(2,3), over 9 MiB of V and M at
        // 8 channels) goes in 2 chunks, the last one shorter; dilated, through the general gather. 128 rows make
        // 64 blocks or more, enough for per-thread blocks on up to 32 cores; so large a map is checked against
        // the implicit GEMM path (itself held to the reference by the tests above), not the scalar reference.
        foreach (var dil in new[] { 1, 2 })
            AssertWinogradMatches(path, 8, 8, new Shape(1, 8, 128, 19000), dil, 10 + dil,
                new FastBackend(ConvPath.ImplicitGemm), AbsoluteTolerance(path) + AbsoluteTolerance(ConvPath.ImplicitGemm));
    }

    [Theory]
    [InlineData(ConvPath.WinogradF4)]
    [InlineData(ConvPath.WinogradF2)]
    public void WinogradHandlesWideLayersOnSmallMaps(ConvPath path)
    {
        // The colorizer's middle: wide layers on a small map, dilated; the plan splits phases across threads.
        foreach (var dil in new[] { 1, 2 })
            AssertWinogradMatches(path, 96, 100, new Shape(1, 96, 12, 10), dil, dil, ReferenceBackend.Instance, AbsoluteTolerance(path));
    }

    /// <summary>
    /// A 3×3 conv with bias and ReLU, dilated <paramref name="dilation"/> (padded as much), through <paramref name="path"/>
    /// on random x, w (scaled by 1/√fan-in) and b: within <paramref name="tolerance"/>·S of <paramref name="reference"/>'s.
    /// </summary>
    private static void AssertWinogradMatches(ConvPath path, int cin, int cout, Shape input, int dilation, int seed, IBackend reference, double tolerance)
    {
        var op = new Conv2dOp(cin, cout, 3, 3, 1, dilation, dilation, HasBias: true, Activation: Activation.Relu);
        var rng = new Random(seed);
        var x = Random(input, rng, 1f);
        var w = Random(op.ParameterShapes[0], rng, 1f / MathF.Sqrt(cin * 9));
        var b = Random(op.ParameterShapes[1], rng, 0.5f);
        var expected = reference.Prepare(op, w, b).Run(x);
        var actual = new FastBackend(path).Prepare(op, w, b).Run(x);
        Tolerance.AssertClose(expected, actual, tolerance * AbsSumScale(op, w, x), 0, $"{path} {op} on {input}");
    }

    /// <summary>
    /// Error bounds relative to S = 9·Cin·max|w|·max|x| (an upper bound of Σ|w·x| for every output).
    /// GEMM paths sum K = 9·Cin float products: the worst case is K·ε·S, random rounding gives
    /// about √K·ε·S; measured ≤ 1e-7·S, bound 1e-6·S. Winograd F(4,3) rounds the transformed
    /// operands too, and the transforms amplify: ‖Bᵀ‖∞ = 10 on each side of the tile, ‖Aᵀ‖∞ = 21
    /// and ‖G‖∞ = 1 (rows sum to ≤ 1/2), so the amplification is bounded by (10·21)² ≈ 4·10⁴ ε per
    /// term in the worst case. Typical error grows far less: measured ≤ 2e-6·S on these sweeps
    /// (≈ 17 ε), so the bound 2e-5·S leaves a factor 10 and still catches any wrong transform
    /// coefficient, which shows up at ≥ 1e-2·S.
    /// </summary>
    private static double AbsoluteTolerance(ConvPath path) => path switch
    {
        ConvPath.WinogradF4 => 2e-5,
        ConvPath.WinogradF2 => 2e-6, // transforms of 0, ±½, ±1: a few more roundings than direct, no amplification
        _ => 1e-6,
    };

    private static double AbsSumScale(Conv2dOp op, Tensor w, Tensor x)
    {
        float maxW = 0, maxX = 0;
        foreach (var v in w.Span) maxW = Math.Max(maxW, Math.Abs(v));
        foreach (var v in x.Span) maxX = Math.Max(maxX, Math.Abs(v));
        return Math.Max(1e-30, (double)op.InChannels * op.KernelH * op.KernelW * maxW * maxX);
    }

    private static Tensor Random(Shape s, Random rng, float scale)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return t;
    }
}
