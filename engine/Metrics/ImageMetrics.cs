using Reel.Engine.Tensors;

namespace Reel.Engine.Metrics;

/// <summary>Full-reference image quality on float images in [0, 1].</summary>
public static class ImageMetrics
{
    /// <summary>PSNR in dB with peak 1 over all elements; +∞ for identical images.</summary>
    public static double Psnr(Tensor a, Tensor b)
    {
        CheckSameShape(a, b);
        double se = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a.Data[i] - b.Data[i];
            se += d * d;
        }
        double mse = se / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1 / mse);
    }

    /// <summary>The side of SSIM's window: the smallest image it scores.</summary>
    public const int SsimWindow = 11;

    /// <summary>
    /// SSIM (Wang et al. 2004) as KAIR/DnCNN evaluations compute it: values scaled to 255,
    /// 11×11 Gaussian window with σ = 1.5, statistics over the valid region only, averaged over
    /// channels and pixels.
    /// </summary>
    public static double Ssim(Tensor a, Tensor b)
    {
        CheckSameShape(a, b);
        var s = a.Shape;
        if (s.H < SsimWindow || s.W < SsimWindow) throw new ArgumentException($"SSIM needs images of at least {SsimWindow}×{SsimWindow}, got {s}");
        const double c1 = 0.01 * 255 * 0.01 * 255, c2 = 0.03 * 255 * 0.03 * 255;
        var g = Gaussian11();
        int ho = s.H - 10, wo = s.W - 10, plane = s.H * s.W;
        double total = 0;
        for (int n = 0; n < s.N; n++)
        for (int c = 0; c < s.C; c++)
        {
            int o = (n * s.C + c) * plane;
            double sum = 0;
            for (int y = 0; y < ho; y++)
            for (int x = 0; x < wo; x++)
            {
                double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
                for (int i = 0; i < 11; i++)
                for (int j = 0; j < 11; j++)
                {
                    double w = g[i] * g[j];
                    int idx = o + (y + i) * s.W + x + j;
                    double va = a.Data[idx] * 255.0, vb = b.Data[idx] * 255.0;
                    mx += w * va; my += w * vb;
                    xx += w * va * va; yy += w * vb * vb; xy += w * va * vb;
                }
                double sx = xx - mx * mx, sy = yy - my * my, sxy = xy - mx * my;
                sum += (2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sx + sy + c2));
            }
            total += sum / (ho * wo);
        }
        return total / (s.N * s.C);
    }

    private static double[] Gaussian11()
    {
        var g = new double[11];
        double sum = 0;
        for (int i = 0; i < 11; i++) sum += g[i] = Math.Exp(-(i - 5) * (i - 5) / (2 * 1.5 * 1.5));
        for (int i = 0; i < 11; i++) g[i] /= sum;
        return g;
    }

    private static void CheckSameShape(Tensor a, Tensor b)
    {
        if (!a.Shape.Equals(b.Shape)) throw new ArgumentException($"images differ in shape: {a.Shape} vs {b.Shape}");
    }
}
