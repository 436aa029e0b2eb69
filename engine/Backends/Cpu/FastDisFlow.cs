using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Reel.Engine.Ops;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="DisFlow"/> on all cores with its two hot kernels in Vector256: a patch row of 8 is
/// one vector, so the patch sums accumulate one column per lane exactly as the reference's column
/// sums do, and the red-black SOR updates 8 pixels of a row at once, keeping the lanes of the
/// other colour. Same operations in the same order per pixel, so the same bits as the reference.
/// </summary>
internal sealed class FastDisFlow(OpticalFlowOp op) : DisFlow(op)
{
    private static readonly Vector256<float> EvenLanes = Vector256.Create(-1, 0, -1, 0, -1, 0, -1, 0).AsSingle();
    private static readonly Vector256<float> OddLanes = Vector256.Create(0, -1, 0, -1, 0, -1, 0, -1).AsSingle();

    protected override void For(int count, Action<int> body) => Parallel.For(0, count, body);

    protected override float PatchSsd(float[] i0, int o0, int s0, float[] i1, int o1, int s1, Taps t)
    {
        var (w00, w01, w10, w11) = (Vector256.Create(t.W00), Vector256.Create(t.W01), Vector256.Create(t.W10), Vector256.Create(t.W11));
        var sum = Vector256<float>.Zero;
        var sq = Vector256<float>.Zero;
        for (int r = 0; r < P; r++)
        {
            var d = Diff(i0, o0 + r * s0, i1, o1 + r * s1, s1, w00, w01, w10, w11);
            sum += d;
            sq += d * d;
        }
        float sd = SumLanes(sum);
        return SumLanes(sq) - sd * sd / (P * P);
    }

    protected override float PatchGradient(float[] i0, int o0, int s0, float[] i1, int o1, int s1, float[] gx, float[] gy, Taps t,
        float xSum, float ySum, out float dUx, out float dUy)
    {
        var (w00, w01, w10, w11) = (Vector256.Create(t.W00), Vector256.Create(t.W01), Vector256.Create(t.W10), Vector256.Create(t.W11));
        Vector256<float> sum = Vector256<float>.Zero, sq = sum, mx = sum, my = sum;
        for (int r = 0; r < P; r++)
        {
            int k = o0 + r * s0;
            var d = Diff(i0, k, i1, o1 + r * s1, s1, w00, w01, w10, w11);
            mx += d * Load(gx, k);
            my += d * Load(gy, k);
            sq += d * d;
            sum += d;
        }
        float sd = SumLanes(sum);
        const float n = P * P;
        dUx = SumLanes(mx) - sd * xSum / n;
        dUy = SumLanes(my) - sd * ySum / n;
        return SumLanes(sq) - sd * sd / n;
    }

    protected override void SorRow(Refinement r, int i, bool red)
    {
        int stride = r.W + 2;
        var mask = ((i & 1) == 0) == red ? EvenLanes : OddLanes;
        var omega = Vector256.Create(Omega);
        int j = 0;
        for (; j + 8 <= r.W; j += 8)
        {
            int p = i * r.W + j, q = r.Pad(i, j);
            var wl = Load(r.Weight, q - 1);
            var wp = Load(r.Weight, q);
            var wu = Load(r.Weight, q - stride);
            var su = wl * Load(r.Du, q - 1) + wp * Load(r.Du, q + 1) + wu * Load(r.Du, q - stride) + wp * Load(r.Du, q + stride);
            var sv = wl * Load(r.Dv, q - 1) + wp * Load(r.Dv, q + 1) + wu * Load(r.Dv, q - stride) + wp * Load(r.Dv, q + stride);
            var du0 = Load(r.Du, q);
            var dv0 = Load(r.Dv, q);
            var a12 = Load(r.A12, p);
            var du = Vector256.ConditionalSelect(mask, du0 + omega * ((su + Load(r.B1, p) - dv0 * a12) / Load(r.A11, p) - du0), du0);
            var dv = Vector256.ConditionalSelect(mask, dv0 + omega * ((sv + Load(r.B2, p) - du * a12) / Load(r.A22, p) - dv0), dv0);
            du.StoreUnsafe(ref r.Du[0], (nuint)q);
            dv.StoreUnsafe(ref r.Dv[0], (nuint)q);
        }
        for (j += (i + j + (red ? 0 : 1)) & 1; j < r.W; j += 2) SorPixel(r, i, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Diff(float[] i0, int k0, float[] i1, int k1, int s1,
        Vector256<float> w00, Vector256<float> w01, Vector256<float> w10, Vector256<float> w11) =>
        w00 * Load(i1, k1) + w01 * Load(i1, k1 + 1) + w10 * Load(i1, k1 + s1) + w11 * Load(i1, k1 + s1 + 1) - Load(i0, k0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(float[] a, int offset)
    {
        if ((uint)offset > (uint)(a.Length - 8)) throw new IndexOutOfRangeException($"vector load at {offset} of {a.Length}");
        return Vector256.LoadUnsafe(ref a[0], (nuint)offset);
    }

    private static float SumLanes(Vector256<float> v) =>
        SumLanes(v.GetElement(0), v.GetElement(1), v.GetElement(2), v.GetElement(3), v.GetElement(4), v.GetElement(5), v.GetElement(6), v.GetElement(7));
}
