using System.Runtime.Intrinsics;
using Reel.Engine.Tensors;
using Reel.Engine.Backends.Cpu;
using Reel.Tests.Support;

namespace Reel.Tests.Training;

/// <summary>
/// The weight gradient against a plain double-precision sum, on shapes that hit every edge of its
/// tiling, at both SIMD widths (AVX-512's emulated by .NET where the CPU lacks it).
/// </summary>
public class ConvWeightGradientTests
{
    [Theory]
    [InlineData(3, 32, 3, 16, 16, false)]   // the U-Net's first conv
    [InlineData(17, 13, 3, 9, 7, false)]    // channels not multiples of 4 or 6, odd sizes
    [InlineData(5, 7, 1, 5, 3, false)]      // 1×1
    [InlineData(40, 6, 3, 33, 35, false)]   // two pixel chunks, the second short
    [InlineData(3, 32, 3, 16, 16, true)]
    [InlineData(17, 13, 3, 9, 7, true)]
    [InlineData(5, 7, 1, 5, 3, true)]
    [InlineData(40, 6, 3, 45, 47, true)]    // two 16-lane chunks, the second short
    public void MatchesADoubleSum(int cin, int cout, int k, int h, int w, bool wide)
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
        Accumulate(x, dy, k, dw, accumulate: true, wide);
        // Float sums over ≤ 64 products per lane, then the lanes, then double across chunks: |err| ≲ 64·ε·√(pixels/64) per entry.
        Tolerance.AssertClose(expected, dw, 1e-5 * Math.Sqrt(h * w), 1e-6, $"dW {cin}→{cout} k{k} {h}×{w} {(wide ? "AVX-512" : "AVX2")}");
    }

    /// <summary>Without accumulating, whatever dw held is replaced by exactly what accumulating into zeros gives.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OverwritingEqualsAccumulatingIntoZeros(bool wide)
    {
        var rng = new Random(5);
        var x = Random(new Shape(1, 10, 12, 11), rng);
        var dy = Random(new Shape(1, 7, 12, 11), rng);
        var zeros = new Tensor(new Shape(7, 10, 3, 3));
        Accumulate(x, dy, 3, zeros, accumulate: true, wide);
        var stale = Random(zeros.Shape, rng);
        stale.Data[0] = float.NaN;
        Accumulate(x, dy, 3, stale, accumulate: false, wide);
        Assert.Equal(zeros.Data.Select(BitConverter.SingleToInt32Bits), stale.Data.Select(BitConverter.SingleToInt32Bits));
    }

    private static void Accumulate(Tensor x, Tensor dy, int k, Tensor dw, bool accumulate, bool wide)
    {
        if (wide) ConvWeightGradient.Accumulate<Avx512Width, Vector512<float>>(x, dy, k, dw, accumulate);
        else ConvWeightGradient.Accumulate<Avx2Width, Vector256<float>>(x, dy, k, dw, accumulate);
    }

    private static Tensor Random(Shape s, Random rng)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }
}
