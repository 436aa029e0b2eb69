using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Xunit.Abstractions;

namespace Reel.Tests.Training;

/// <summary>
/// The weight gradient by Winograd F(4,3) against a plain double-precision sum, on shapes that hit
/// every edge of its tiling: maps that are not whole tiles, channels that fill no GEMM panel,
/// several blocks of tile rows. Its error is held relative to S = Σ|dy·x| of each weight, the
/// bound on what direct summation could lose, as ConvPathTests holds the forward's.
/// </summary>
public class WinogradWeightGradientTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData(32, 32, 64, 64)]   // a U-Net layer's channels, whole tiles, two blocks in one float chain
    [InlineData(5, 11, 13, 22)]    // channels in no whole group of 8, partial tiles on both edges
    [InlineData(9, 10, 26, 130)]   // two blocks of tile rows, the second short, in one float chain
    [InlineData(3, 4, 70, 130)]    // two chains of blocks into the double sums, the last block short
    [InlineData(40, 17, 4, 5)]     // one tile row, a map narrower than one vector of tiles
    public void MatchesADoubleSum(int cin, int cout, int h, int w)
    {
        var rng = new Random(cin * 100 + cout + h);
        // ReLU-like input (all positive, a common offset) and zero-mean gradients, as training meets them.
        var x = Random(new Shape(1, cin, h, w), rng, offset: 0.5);
        var dy = Random(new Shape(1, cout, h, w), rng, offset: 0);
        var expected = new double[cout * cin * 9];
        var bound = new double[expected.Length];
        for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < cin; ci++)
        for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
        {
            double s = 0, a = 0;
            for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++)
            {
                int iy = y + ky - 1, ix = xx + kx - 1;
                if ((uint)iy >= (uint)h || (uint)ix >= (uint)w) continue;
                double p = (double)dy.Data[(co * h + y) * w + xx] * x.Data[(ci * h + iy) * w + ix];
                s += p;
                a += Math.Abs(p);
            }
            expected[((co * cin + ci) * 3 + ky) * 3 + kx] = s;
            bound[((co * cin + ci) * 3 + ky) * 3 + kx] = a;
        }
        var dw = new Tensor(new Shape(cout, cin, 3, 3));
        dw.Data.AsSpan().Fill(float.NaN); // written over, never read
        Assert.True(WinogradWeightGradient.Applicable(new Conv2dOp(cin, cout, 3, 3, 1, 1)));
        WinogradWeightGradient.Compute(x, dy, dw);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(dw.Data[i] - expected[i]) / bound[i]);
        log.WriteLine($"∂W {cin}→{cout} {h}×{w}: worst error {worst:G3} of Σ|dy·x|");
        Assert.True(worst <= 1e-5, $"∂W {cin}→{cout} {h}×{w}: error {worst:G3} of Σ|dy·x| (NaN: an entry never written)");
    }

    /// <summary>
    /// The training backend takes this path exactly where it runs the forward through F(4,3) and the
    /// channels make it pay, and the dot products elsewhere.
    /// </summary>
    [Theory]
    [InlineData(32, 64, 64, true)]
    [InlineData(32, 64, 16, false)]   // below ConvPlan.MinTrainingPixels: the forward runs a GEMM path
    [InlineData(32, 32, 64, false)]   // too few output channels to pay
    public void TrainingUsesItWhereTheForwardRunsWinogradAndItPays(int cin, int cout, int size, bool winograd)
    {
        var rng = new Random(3);
        var op = new Conv2dBackwardWeightOp(new Conv2dOp(cin, cout, 3, 3, 1, 1));
        var x = Random(new Shape(1, cin, size, size), rng, offset: 0.5);
        var dy = Random(new Shape(1, cout, size, size), rng, offset: 0);
        var viaBackend = new Tensor(new Shape(cout, cin, 3, 3));
        FastBackend.Training.Prepare(op).RunInto(viaBackend, x, dy);
        var direct = new Tensor(viaBackend.Shape);
        ConvWeightGradient.Accumulate(x, dy, 3, direct, accumulate: false);
        var wino = new Tensor(viaBackend.Shape);
        WinogradWeightGradient.Compute(x, dy, wino);
        Assert.Equal(winograd ? wino.Data : direct.Data, viaBackend.Data);
        Assert.NotEqual(winograd ? direct.Data : wino.Data, viaBackend.Data);
    }

    private static Tensor Random(Shape s, Random rng, double offset)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1 + offset);
        return t;
    }
}
