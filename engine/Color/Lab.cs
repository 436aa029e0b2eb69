using Reel.Engine.Tensors;

namespace Reel.Engine.Color;

/// <summary>
/// sRGB ↔ CIE L*a*b* (D65, 2° observer) as specs/models.md §4 and skimage's rgb2lab/lab2rgb:
/// sRGB companding, the sRGB→XYZ matrix, normalization by the D65 white, the cube-root
/// f(t) with its linear toe. Math in double per pixel, planes in float32. This is the
/// reference for the CUDA Lab kernels and the fast CPU path's (Backends/Cpu/FastLab).
/// </summary>
public static class Lab
{
    internal const double Delta = 6.0 / 29.0;
    internal const double WhiteX = 0.95047, WhiteY = 1.0, WhiteZ = 1.08883;

    /// <summary>sRGB (linear) → XYZ, the matrix skimage uses.</summary>
    internal static readonly double[,] XyzFromRgb =
    {
        { 0.412453, 0.357580, 0.180423 },
        { 0.212671, 0.715160, 0.072169 },
        { 0.019334, 0.119193, 0.950227 },
    };

    /// <summary>Its exact inverse (skimage inverts the same matrix numerically).</summary>
    internal static readonly double[,] RgbFromXyz = Invert(XyzFromRgb);

    /// <summary>One sRGB colour in [0, 1] → (L, a, b).</summary>
    public static (double L, double A, double B) FromRgb(double r, double g, double b)
    {
        r = ToLinear(r); g = ToLinear(g); b = ToLinear(b);
        double x = (XyzFromRgb[0, 0] * r + XyzFromRgb[0, 1] * g + XyzFromRgb[0, 2] * b) / WhiteX;
        double y = (XyzFromRgb[1, 0] * r + XyzFromRgb[1, 1] * g + XyzFromRgb[1, 2] * b) / WhiteY;
        double z = (XyzFromRgb[2, 0] * r + XyzFromRgb[2, 1] * g + XyzFromRgb[2, 2] * b) / WhiteZ;
        double fx = F(x), fy = F(y), fz = F(z);
        return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz));
    }

    /// <summary>One sRGB colour's L* alone: its luminance Y through f, without the X and Z that a and b need.</summary>
    public static double Lightness(double r, double g, double b) =>
        116 * F(XyzFromRgb[1, 0] * ToLinear(r) + XyzFromRgb[1, 1] * ToLinear(g) + XyzFromRgb[1, 2] * ToLinear(b)) - 16;

    /// <summary>One (L, a, b) → sRGB, clipped to [0, 1] (negative Z clipped first, as skimage).</summary>
    public static (double R, double G, double B) ToRgb(double l, double a, double b)
    {
        double fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
        double x = FInverse(fx) * WhiteX, y = FInverse(fy) * WhiteY, z = FInverse(Math.Max(fz, 0)) * WhiteZ;
        double r = RgbFromXyz[0, 0] * x + RgbFromXyz[0, 1] * y + RgbFromXyz[0, 2] * z;
        double g = RgbFromXyz[1, 0] * x + RgbFromXyz[1, 1] * y + RgbFromXyz[1, 2] * z;
        double bl = RgbFromXyz[2, 0] * x + RgbFromXyz[2, 1] * y + RgbFromXyz[2, 2] * z;
        return (Math.Clamp(ToGamma(r), 0, 1), Math.Clamp(ToGamma(g), 0, 1), Math.Clamp(ToGamma(bl), 0, 1));
    }

    /// <summary>(N, 3, H, W) sRGB in [0, 1] → (N, 3, H, W) Lab planes (L in [0, 100]).</summary>
    public static Tensor FromRgb(Tensor rgb)
    {
        var lab = new Tensor(CheckThreeChannels(rgb));
        FromRgb(rgb, lab);
        return lab;
    }

    /// <summary>As <see cref="FromRgb(Tensor)"/>, into <paramref name="lab"/> of the same shape (planes on every core).</summary>
    public static void FromRgb(Tensor rgb, Tensor lab) => MapPlanes(rgb, lab, FromRgb);

    /// <summary>(N, 3, H, W) Lab → (N, 3, H, W) sRGB in [0, 1].</summary>
    public static Tensor ToRgb(Tensor lab)
    {
        var rgb = new Tensor(CheckThreeChannels(lab));
        ToRgb(lab, rgb);
        return rgb;
    }

    /// <summary>As <see cref="ToRgb(Tensor)"/>, into <paramref name="rgb"/> of the same shape.</summary>
    public static void ToRgb(Tensor lab, Tensor rgb) => MapPlanes(lab, rgb, ToRgb);

    /// <summary>
    /// <paramref name="frame"/> (N, 1|3, H, W) sRGB (one channel: gray) with its own L and the a, b of
    /// <paramref name="ab"/> (N, 2, H, W), back to sRGB into <paramref name="rgb"/> (N, 3, H, W) (<see cref="Ops.RecolorOp"/>).
    /// </summary>
    public static void Recolor(Tensor frame, Tensor ab, Tensor rgb)
    {
        int plane = frame.Shape.H * frame.Shape.W, channels = frame.Shape.C;
        int g = channels == 3 ? plane : 0;
        SetPixels(rgb, (n, i) =>
        {
            int f = n * channels * plane + i, c = n * 2 * plane + i;
            return ToRgb(Lightness(frame.Data[f], frame.Data[f + g], frame.Data[f + 2 * g]), ab.Data[c], ab.Data[c + plane]);
        });
    }

    private static void MapPlanes(Tensor src, Tensor dst, Func<double, double, double, (double, double, double)> f)
    {
        int plane = src.Shape.H * src.Shape.W;
        SetPixels(dst, (n, i) =>
        {
            int o = n * 3 * plane + i;
            return f(src.Data[o], src.Data[o + plane], src.Data[o + 2 * plane]);
        });
    }

    /// <summary>Each pixel i of each frame n of <paramref name="dst"/> (N, 3, H, W) set to <paramref name="pixel"/>(n, i), the planes on every core.</summary>
    private static void SetPixels(Tensor dst, Func<int, int, (double, double, double)> pixel)
    {
        int plane = dst.Shape.H * dst.Shape.W;
        for (int n = 0; n < dst.Shape.N; n++)
        {
            int frame = n, o = n * 3 * plane;
            Parallel.For(0, (plane + 4095) / 4096, chunk =>
            {
                int end = Math.Min(plane, (chunk + 1) * 4096);
                for (int i = chunk * 4096; i < end; i++)
                {
                    var (p, q, r) = pixel(frame, i);
                    dst.Data[o + i] = (float)p;
                    dst.Data[o + plane + i] = (float)q;
                    dst.Data[o + 2 * plane + i] = (float)r;
                }
            });
        }
    }

    private static Shape CheckThreeChannels(Tensor t) =>
        t.Shape.Rank == 4 && t.Shape.C == 3 ? t.Shape : throw new ArgumentException($"expected (N, 3, H, W), got {t.Shape}");

    private static double ToLinear(double c) => c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);

    private static double ToGamma(double c) => c <= 0.0031308 ? 12.92 * c : 1.055 * Math.Pow(c, 1 / 2.4) - 0.055;

    private static double F(double t) => t > Delta * Delta * Delta ? Math.Cbrt(t) : t / (3 * Delta * Delta) + 4.0 / 29.0;

    private static double FInverse(double t) => t > Delta ? t * t * t : 3 * Delta * Delta * (t - 4.0 / 29.0);

    private static double[,] Invert(double[,] m)
    {
        double a = m[0, 0], b = m[0, 1], c = m[0, 2], d = m[1, 0], e = m[1, 1], f = m[1, 2], g = m[2, 0], h = m[2, 1], i = m[2, 2];
        double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
        return new[,]
        {
            { (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det },
            { (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det },
            { (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det },
        };
    }
}
