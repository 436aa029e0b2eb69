using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Antialiased separable resampling in the manner of PIL's Image.resize: the kernel is
/// stretched by the scale when shrinking, so every source pixel contributes. Float throughout
/// (PIL rounds to u8 between passes).
/// </summary>
public static class Resample
{
    private const double CubicA = -0.5;

    /// <summary>Bicubic (a = −0.5, as PIL.Image.BICUBIC) resize of every plane of (N, C, H, W), clamped to [0, 1].</summary>
    public static Tensor Bicubic(Tensor x, int outH, int outW)
    {
        var s = x.Shape;
        var (rowStart, rowWeights) = Weights(s.H, outH);
        var (colStart, colWeights) = Weights(s.W, outW);
        var y = new Tensor(new Shape(s.N, s.C, outH, outW));
        Parallel.For(0, s.N * s.C, p =>
        {
            var src = x.Data.AsSpan(p * s.H * s.W, s.H * s.W);
            var tmp = new float[s.H * outW];
            for (int r = 0; r < s.H; r++)
            for (int o = 0; o < outW; o++)
            {
                double acc = 0;
                var w = colWeights[o];
                for (int j = 0; j < w.Length; j++) acc += w[j] * src[r * s.W + colStart[o] + j];
                tmp[r * outW + o] = (float)acc;
            }
            var dst = y.Data.AsSpan(p * outH * outW, outH * outW);
            for (int o = 0; o < outH; o++)
            for (int c = 0; c < outW; c++)
            {
                double acc = 0;
                var w = rowWeights[o];
                for (int j = 0; j < w.Length; j++) acc += w[j] * tmp[(rowStart[o] + j) * outW + c];
                dst[o * outW + c] = (float)Math.Clamp(acc, 0, 1);
            }
        });
        return y;
    }

    private static (int[] Start, double[][] Weights) Weights(int inSize, int outSize)
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
}
