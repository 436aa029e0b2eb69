using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// Rows of the 2×2 stride-2 max-pool (the U-Net's), forward and backward, eight windows per step
/// with AVX2. A window's maximum is found exactly as the reference scans it — top-left, top-right,
/// bottom-left, bottom-right, a value replacing the best so far when it is greater or NaN — so the
/// result, and the input the backward pass sends the gradient to, are the reference's bit for bit.
/// </summary>
// SAFETY: pointer rows from the caller, who pins them and asserts that each holds what the method's summary reads or writes.
internal static unsafe class MaxPool2x2
{
    /// <summary>Windows 0, 1, 4, 5 | 2, 3, 6, 7 (the order the even/odd shuffles leave) back to 0–7, and the reverse: pairs 0, 2, 1, 3.</summary>
    private const byte PairOrder = 0b11_01_10_00;
    private const byte Even = 0b10_00_10_00, Odd = 0b11_01_11_01;

    /// <summary>dst[j] = max of window j, whose top row starts at top[2j] and bottom row at bottom[2j].</summary>
    public static void Forward(float* top, float* bottom, float* dst, int windows)
    {
        // SAFETY: the vector steps read top and bottom [2j, 2j + 16) and write dst [j, j + 8) only while j + 8 ≤ windows.
        int j = 0;
        if (Avx2.IsSupported)
            for (; j + 8 <= windows; j += 8)
            {
                var (a, b, c, d) = Corners(top + 2 * j, bottom + 2 * j);
                var best = Take(b, a, out _);
                best = Take(c, best, out _);
                best = Take(d, best, out _);
                Avx2.Permute4x64(best.AsDouble(), PairOrder).AsSingle().Store(dst + j);
            }
        for (; j < windows; j++)
        {
            float best = top[2 * j];
            if (top[2 * j + 1] > best || float.IsNaN(top[2 * j + 1])) best = top[2 * j + 1];
            if (bottom[2 * j] > best || float.IsNaN(bottom[2 * j])) best = bottom[2 * j];
            if (bottom[2 * j + 1] > best || float.IsNaN(bottom[2 * j + 1])) best = bottom[2 * j + 1];
            dst[j] = best;
        }
    }

    /// <summary>
    /// Gradient rows: g[j] goes to the input that won window j, every other input of the window gets 0;
    /// dTop and dBottom (the input gradient's rows) are written in full.
    /// </summary>
    public static void Backward(float* top, float* bottom, float* g, float* dTop, float* dBottom, int windows)
    {
        // SAFETY: the vector steps touch top, bottom, dTop, dBottom [2j, 2j + 16) and g [j, j + 8) only while j + 8 ≤ windows.
        int j = 0;
        if (Avx2.IsSupported)
            for (; j + 8 <= windows; j += 8)
            {
                var (a, b, c, d) = Corners(top + 2 * j, bottom + 2 * j);
                var best = Take(b, a, out var to1);
                best = Take(c, best, out var to2);
                Take(d, best, out var to3);
                var v = Avx2.Permute4x64(Vector256.Load(g + j).AsDouble(), PairOrder).AsSingle();
                var later = to2 | to3;
                var ga = Vector256.AndNot(v, to1 | later);
                var gb = Vector256.AndNot(v & to1, later);
                var gc = Vector256.AndNot(v & to2, to3);
                var gd = v & to3;
                // Unpacking the even and odd lanes undoes the shuffles' interleave exactly.
                Avx.UnpackLow(ga, gb).Store(dTop + 2 * j);
                Avx.UnpackHigh(ga, gb).Store(dTop + 2 * j + 8);
                Avx.UnpackLow(gc, gd).Store(dBottom + 2 * j);
                Avx.UnpackHigh(gc, gd).Store(dBottom + 2 * j + 8);
            }
        for (; j < windows; j++)
        {
            int c = 2 * j;
            float best = top[c];
            int at = 0;
            if (top[c + 1] > best || float.IsNaN(top[c + 1])) { best = top[c + 1]; at = 1; }
            if (bottom[c] > best || float.IsNaN(bottom[c])) { best = bottom[c]; at = 2; }
            if (bottom[c + 1] > best || float.IsNaN(bottom[c + 1])) at = 3;
            float v = g[j];
            dTop[c] = at == 0 ? v : 0;
            dTop[c + 1] = at == 1 ? v : 0;
            dBottom[c] = at == 2 ? v : 0;
            dBottom[c + 1] = at == 3 ? v : 0;
        }
    }

    /// <summary>The four corners of windows j … j + 7, each vector in window order 0, 1, 4, 5 | 2, 3, 6, 7.</summary>
    private static (Vector256<float> A, Vector256<float> B, Vector256<float> C, Vector256<float> D) Corners(float* top, float* bottom)
    {
        var t0 = Vector256.Load(top);
        var t1 = Vector256.Load(top + 8);
        var b0 = Vector256.Load(bottom);
        var b1 = Vector256.Load(bottom + 8);
        return (Avx.Shuffle(t0, t1, Even), Avx.Shuffle(t0, t1, Odd), Avx.Shuffle(b0, b1, Even), Avx.Shuffle(b0, b1, Odd));
    }

    /// <summary>The reference's step: v replaces best where it is greater or NaN (<paramref name="taken"/> marks where).</summary>
    private static Vector256<float> Take(Vector256<float> v, Vector256<float> best, out Vector256<float> taken)
    {
        taken = Vector256.GreaterThan(v, best) | ~Vector256.Equals(v, v);
        return Vector256.ConditionalSelect(taken, v, best);
    }
}
