using System.Numerics;
using System.Runtime.Intrinsics;
using Reel.Engine.Color;
using Reel.Engine.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// sRGB ↔ CIE L*a*b* on the fast path (<see cref="Ops.RgbToLabOp"/>, <see cref="Ops.LabToRgbOp"/>,
/// <see cref="Ops.RecolorOp"/>): <see cref="Lab"/>'s formulas over runs of a plane, the powers and cube
/// roots as exp(y·ln x) through TensorPrimitives' vectorized Log and Exp, each piecewise curve computed on
/// both sides and the side wanted selected, where the reference takes double Math.Pow a pixel at a time
/// (0.5 GB/s). sRGB → Lab runs in double, to the reference's floats (10× its speed, half of float's), the
/// way back in float: in float, sRGB → Lab was up to 1e-4 off in a and b, and the prior trained in chroma
/// mode on the goat clip came out less steady, over two seeds (3, 8) its CDC 1.15× and 1.78× the input's
/// with the reference's conversions, 3.0× and 3.3× with both in float, 2.2× and 2.3× with float sRGB → Lab
/// alone, 1.1× and 1.6× with the float recolour alone (README). A recolour takes the frame's f(Y) straight
/// to the inverse, not through L, within 5e-6 of the reference; a NaN stays NaN.
/// </summary>
internal static class FastLab
{
    /// <summary>Pixels a task converts at a time: its eight scratch runs (64 KB of float, 128 KB of double) stay in L2.</summary>
    private const int Run = 2048;

    private const float Delta = (float)Lab.Delta, Slope = 1f / (3 * Delta * Delta), Offset = 4f / 29f;

    private static readonly double[] White = { Lab.WhiteX, Lab.WhiteY, Lab.WhiteZ };

    /// <summary>Lab's sRGB → XYZ matrix row by row with the white's X, Y, Z divided in: in double for sRGB → Lab, rounded to float for the recolour's Y.</summary>
    private static readonly double[] XyzFromRgbWide = Enumerable.Range(0, 9).Select(k => Lab.XyzFromRgb[k / 3, k % 3] / White[k / 3]).ToArray();
    private static readonly float[] XyzFromRgb = XyzFromRgbWide.Select(v => (float)v).ToArray();

    /// <summary>Lab's inverse matrix row by row with the white multiplied in (it takes X/Xn, Y/Yn, Z/Zn), in float.</summary>
    private static readonly float[] RgbFromXyz = Enumerable.Range(0, 9).Select(k => (float)(Lab.RgbFromXyz[k / 3, k % 3] * White[k % 3])).ToArray();

    /// <summary>(N, 3, H, W) sRGB → (N, 3, H, W) L, a, b, computed in double and stored in float, as the reference.</summary>
    public static void FromRgb(Tensor rgb, Tensor lab) => ForRuns<double>(lab.Shape, (n, start, count, s) =>
    {
        int plane = lab.Shape.H * lab.Shape.W, o = n * 3 * plane + start;
        Span<double> S(int k) => s[k].AsSpan(0, count);
        for (int c = 0; c < 3; c++)
        {
            TensorPrimitives.ConvertChecked<float, double>(rgb.Data.AsSpan(o + c * plane, count), S(6));
            Linear<double>(S(6), S(c));
        }
        // f(X/Xn), f(Y/Yn), f(Z/Zn) in runs 3, 4, 5.
        for (int k = 0; k < 3; k++)
        {
            Combine<double>(S(0), S(1), S(2), XyzFromRgbWide.AsSpan(3 * k, 3), S(3 + k));
            F<double>(S(3 + k), S(6));
        }
        // L = 116·fy − 16, a = 500·(fx − fy), b = 200·(fy − fz), each through run 6 into its float plane.
        TensorPrimitives.Multiply<double>(S(4), 116, S(6));
        TensorPrimitives.Subtract<double>(S(6), 16, S(6));
        TensorPrimitives.ConvertChecked<double, float>(S(6), lab.Data.AsSpan(o, count));
        TensorPrimitives.Subtract<double>(S(3), S(4), S(6));
        TensorPrimitives.Multiply<double>(S(6), 500, S(6));
        TensorPrimitives.ConvertChecked<double, float>(S(6), lab.Data.AsSpan(o + plane, count));
        TensorPrimitives.Subtract<double>(S(4), S(5), S(6));
        TensorPrimitives.Multiply<double>(S(6), 200, S(6));
        TensorPrimitives.ConvertChecked<double, float>(S(6), lab.Data.AsSpan(o + 2 * plane, count));
    });

    /// <summary>(N, 3, H, W) L, a, b → (N, 3, H, W) sRGB in [0, 1].</summary>
    public static void ToRgb(Tensor lab, Tensor rgb) => ForRuns<float>(rgb.Shape, (n, start, count, s) =>
    {
        int plane = rgb.Shape.H * rgb.Shape.W, o = n * 3 * plane + start;
        // f(Y/Yn) = (L + 16) / 116.
        var fy = s[0].AsSpan(0, count);
        TensorPrimitives.Add(lab.Data.AsSpan(o, count), 16f, fy);
        TensorPrimitives.Divide(fy, 116f, fy);
        FromF(s, count, lab.Data.AsSpan(o + plane, count), lab.Data.AsSpan(o + 2 * plane, count), rgb.Data, o, plane);
    });

    /// <summary>
    /// <paramref name="frame"/> (N, 1|3, H, W) sRGB with its own lightness and the a, b of <paramref name="ab"/>
    /// (N, 2, H, W), back to sRGB into <paramref name="rgb"/> (N, 3, H, W).
    /// </summary>
    public static void Recolor(Tensor frame, Tensor ab, Tensor rgb) => ForRuns<float>(rgb.Shape, (n, start, count, s) =>
    {
        int plane = rgb.Shape.H * rgb.Shape.W, channels = frame.Shape.C;
        int f = n * channels * plane + start, c = n * 2 * plane + start, o = n * 3 * plane + start;
        Span<float> S(int k) => s[k].AsSpan(0, count);
        // f(Y/Yn) of the frame's own colour into run 0 (a gray frame's r = g = b).
        for (int k = 0; k < channels; k++) Linear(frame.Data.AsSpan(f + k * plane, count), S(1 + k));
        int g = channels == 3 ? 2 : 1, b = channels == 3 ? 3 : 1;
        Combine(S(1), S(g), S(b), XyzFromRgb.AsSpan(3, 3), S(0));
        F(S(0), S(6));
        FromF(s, count, ab.Data.AsSpan(c, count), ab.Data.AsSpan(c + plane, count), rgb.Data, o, plane);
    });

    /// <summary>
    /// f(Y/Yn) in run 0 and a, b → sRGB planes at <paramref name="o"/> of <paramref name="rgb"/>: f⁻¹ of fx, fy and
    /// fz (fz clipped at 0, as skimage), the inverse matrix, sRGB's curve, clipped to [0, 1]. Runs 1–8 are scratch.
    /// </summary>
    private static void FromF(float[][] s, int count, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float[] rgb, int o, int plane)
    {
        Span<float> S(int k) => s[k].AsSpan(0, count);
        Span<float> fy = S(0), x = S(1), y = S(2), z = S(3);
        TensorPrimitives.MultiplyAdd(a, 1f / 500f, fy, x);
        TensorPrimitives.MultiplyAdd(b, -1f / 200f, fy, z);
        TensorPrimitives.Max(z, 0f, z);
        fy.CopyTo(y);
        FInverse(x, S(7));
        FInverse(y, S(7));
        FInverse(z, S(7));
        for (int k = 0; k < 3; k++)
        {
            var channel = rgb.AsSpan(o + k * plane, count);
            Combine(x, y, z, RgbFromXyz.AsSpan(3 * k, 3), S(4));
            Gamma(S(4), S(7));
            TensorPrimitives.Max(S(4), 0f, S(4));
            TensorPrimitives.Min(S(4), 1f, channel);
        }
    }

    /// <summary>dst = m₀·p + m₁·q + m₂·t.</summary>
    private static void Combine<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> q, ReadOnlySpan<T> t, ReadOnlySpan<T> m, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(p, m[0], dst);
        TensorPrimitives.MultiplyAdd(q, m[1], dst, dst);
        TensorPrimitives.MultiplyAdd(t, m[2], dst, dst);
    }

    /// <summary>sRGB's decoding: c / 12.92 up to 0.04045, ((c + 0.055) / 1.055)^2.4 above.</summary>
    private static void Linear<T>(ReadOnlySpan<T> c, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Add(c, T.CreateChecked(0.055), dst);
        TensorPrimitives.Divide(dst, T.CreateChecked(1.055), dst);
        Power(dst, T.CreateChecked(2.4));
        ToeAtOrBelow(c, T.CreateChecked(0.04045), T.One / T.CreateChecked(12.92), T.Zero, dst);
    }

    /// <summary>In place, sRGB's encoding: 12.92·c up to 0.0031308, 1.055·c^(1/2.4) − 0.055 above (<paramref name="copy"/>: scratch).</summary>
    private static void Gamma(Span<float> c, Span<float> copy)
    {
        c.CopyTo(copy);
        Power(c, 1f / 2.4f);
        TensorPrimitives.Multiply(c, 1.055f, c);
        TensorPrimitives.Subtract(c, 0.055f, c);
        ToeAtOrBelow(copy, 0.0031308f, 12.92f, 0f, c);
    }

    /// <summary>In place, Lab's f: t^(1/3) above (6/29)³, t / (3·(6/29)²) + 4/29 at or below (<paramref name="copy"/>: scratch).</summary>
    private static void F<T>(Span<T> t, Span<T> copy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var delta = T.CreateChecked(Lab.Delta);
        t.CopyTo(copy);
        Power(t, T.One / T.CreateChecked(3));
        ToeAtOrBelow(copy, delta * delta * delta, T.One / (T.CreateChecked(3) * delta * delta), T.CreateChecked(4) / T.CreateChecked(29), t);
    }

    /// <summary>
    /// In place, x^<paramref name="y"/> as exp(y·ln x), through TensorPrimitives' vectorized Log and Exp (through its
    /// Pow and Cbrt a 256² conversion took 8× as long): relative error about |y·ln x| float ulps, under 1e-6 where the curves use it
    /// (x above their toes); x ≤ 0 gives NaN or 0, which only the toes' side ever reads.
    /// </summary>
    private static void Power<T>(Span<T> x, T y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Log(x, x);
        TensorPrimitives.Multiply(x, y, x);
        TensorPrimitives.Exp(x, x);
    }

    /// <summary>In place, f's inverse: t³ above 6/29, 3·(6/29)²·(t − 4/29) at or below (<paramref name="copy"/>: scratch).</summary>
    private static void FInverse(Span<float> t, Span<float> copy)
    {
        t.CopyTo(copy);
        TensorPrimitives.Multiply(t, copy, t);
        TensorPrimitives.Multiply(t, copy, t);
        ToeAtOrBelow(copy, Delta, 1f / Slope, -Offset / Slope, t);
    }

    /// <summary>Where x ≤ <paramref name="threshold"/>, dst = x·<paramref name="scale"/> + <paramref name="shift"/> (a curve's linear toe); elsewhere dst is kept.</summary>
    private static void ToeAtOrBelow<T>(ReadOnlySpan<T> x, T threshold, T scale, T shift, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0, lanes = Vector256<T>.Count;
        var (t, m, a) = (Vector256.Create(threshold), Vector256.Create(scale), Vector256.Create(shift));
        for (; i + lanes <= x.Length; i += lanes)
        {
            var v = Vector256.Create(x.Slice(i, lanes));
            var kept = Vector256.Create((ReadOnlySpan<T>)dst.Slice(i, lanes));
            Vector256.ConditionalSelect(Vector256.LessThanOrEqual(v, t), v * m + a, kept).CopyTo(dst.Slice(i, lanes));
        }
        for (; i < x.Length; i++)
            if (x[i] <= threshold) dst[i] = x[i] * scale + shift;
    }

    private delegate void RunBody<T>(int frame, int start, int count, T[][] scratch);

    /// <summary>A thread's eight scratch runs of <typeparamref name="T"/>, kept: a conversion would otherwise allocate them per task, per frame.</summary>
    private static class Scratch<T>
    {
        [ThreadStatic] public static T[][]? Runs;
    }

    /// <summary>Every run of <see cref="Run"/> pixels of every frame of <paramref name="shape"/>, the runs on every core, each thread with its own scratch.</summary>
    private static void ForRuns<T>(Shape shape, RunBody<T> body)
    {
        int plane = shape.H * shape.W, runs = (plane + Run - 1) / Run;
        Parallel.For(0, shape.N * runs, k =>
        {
            int n = k / runs, start = k % runs * Run;
            body(n, start, Math.Min(Run, plane - start), Scratch<T>.Runs ??= Enumerable.Range(0, 8).Select(_ => new T[Run]).ToArray());
        });
    }
}
