using Reel.Engine.Tensors;
using Reel.Engine.Backends.Cpu;
using Reel.Tests.Support;

namespace Reel.Tests.Training;

/// <summary>The weight gradient against a plain double-precision sum, on shapes that hit every edge of its tiling.</summary>
public class ConvWeightGradientTests
{
    [Theory]
    [InlineData(3, 32, 3, 16, 16)]   // the U-Net's first conv
    [InlineData(17, 13, 3, 9, 7)]    // channels not multiples of 4 or 6, odd sizes
    [InlineData(5, 7, 1, 5, 3)]      // 1×1
    [InlineData(40, 6, 3, 33, 35)]   // two pixel chunks, the second short
    public void MatchesADoubleSum(int cin, int cout, int k, int h, int w)
    {
        var rng = new Random(cin * 100 + cout);
        var x = Random(new Shape(1, cin, h, w), rng);
        var dy = Random(new Shape(1, cout, h, w), rng);
        var dw = Random(new Shape(cout, cin, k, k), rng); // accumulates onto what is there
        var expected = new Tensor(dw.Shape, dw.Data.ToArray());
        int pad = k / 2;
        for (int co = 0; co < cout; co++)
        for (int ci = 0; ci < cin; ci++)
        for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
        {
            double s = 0;
            for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++)
            {
                int iy = y + ky - pad, ix = xx + kx - pad;
                if ((uint)iy < (uint)h && (uint)ix < (uint)w) s += (double)dy.Data[(co * h + y) * w + xx] * x.Data[(ci * h + iy) * w + ix];
            }
            expected.Data[((co * cin + ci) * k + ky) * k + kx] += (float)s;
        }
        ConvWeightGradient.Accumulate(x, dy, k, dw);
        // Float sums over ≤ 64 products per lane, then the lanes, then double across chunks: |err| ≲ 64·ε·√(pixels/64) per entry.
        Tolerance.AssertClose(expected, dw, 1e-5 * Math.Sqrt(h * w), 1e-6, $"dW {cin}→{cout} k{k} {h}×{w}");
    }

    /// <summary>Without accumulating, whatever dw held is replaced by exactly what accumulating into zeros gives.</summary>
    [Fact]
    public void OverwritingEqualsAccumulatingIntoZeros()
    {
        var rng = new Random(5);
        var x = Random(new Shape(1, 10, 12, 11), rng);
        var dy = Random(new Shape(1, 7, 12, 11), rng);
        var zeros = new Tensor(new Shape(7, 10, 3, 3));
        ConvWeightGradient.Accumulate(x, dy, 3, zeros);
        var stale = Random(zeros.Shape, rng);
        stale.Data[0] = float.NaN;
        ConvWeightGradient.Accumulate(x, dy, 3, stale, accumulate: false);
        Assert.Equal(zeros.Data.Select(BitConverter.SingleToInt32Bits), stale.Data.Select(BitConverter.SingleToInt32Bits));
    }

    private static Tensor Random(Shape s, Random rng)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }
}
