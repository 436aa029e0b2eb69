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
    protected override void For(int count, long work, Action<int> body) => ParallelRows.For(count, work, body);

    protected override void WeightRow(Refinement r, float[] tu, float[] tv, int i)
    {
        int w = r.W, below = i < r.H - 1 ? w : 0;
        var alpha2 = Vector256.Create(Alpha2);
        var eps2 = Vector256.Create(Epsilon2);
        int j = 0;
        // Lanes whose right neighbour exists; the last column (and a short row) go through the scalar pixel.
        for (; j + 8 < w; j += 8)
        {
            int p = i * w + j;
            var u0 = Load(tu, p);
            var v0 = Load(tv, p);
            var ux = Load(tu, p + 1) - u0;
            var vx = Load(tv, p + 1) - v0;
            var uy = Load(tu, p + below) - u0;
            var vy = Load(tv, p + below) - v0;
            (alpha2 / Vector256.Sqrt(ux * ux + vx * vx + uy * uy + vy * vy + eps2)).StoreUnsafe(ref r.Weight[0], (nuint)r.Pad(i, j));
        }
        for (; j < w; j++) WeightPixel(r, tu, tv, i, j);
    }

    protected override void AssembleRow(Refinement r, float[] u, float[] v, int i)
    {
        int w = r.W, stride = w + 2, up = i > 0 ? w : 0, down = i < r.H - 1 ? w : 0;
        var zeta2 = Vector256.Create(Zeta2);
        var eps2 = Vector256.Create(Epsilon2);
        var delta2 = Vector256.Create(Delta2);
        var gamma2 = Vector256.Create(Gamma2);
        AssemblePixel(r, u, v, i, 0);
        int j = 1;
        // Lanes with both horizontal neighbours; the first and last columns go through the scalar pixel.
        for (; j + 8 < w; j += 8)
        {
            int p = i * w + j, q = r.Pad(i, j);
            var du = Load(r.Du, q);
            var dv = Load(r.Dv, q);
            var ix = Load(r.Ix, p);
            var iy = Load(r.Iy, p);
            var iz = Load(r.Iz, p);
            var norm = ix * ix + iy * iy + zeta2;
            var ik1z = iz + ix * du + iy * dv;
            var weight = delta2 / Vector256.Sqrt(ik1z * ik1z / norm + eps2) / norm;
            var a11 = weight * (ix * ix) + zeta2;
            var a12 = weight * (ix * iy);
            var a22 = weight * (iy * iy) + zeta2;
            var b1 = -weight * (iz * ix);
            var b2 = -weight * (iz * iy);

            var ixx = Load(r.Ixx, p);
            var ixy = Load(r.Ixy, p);
            var iyy = Load(r.Iyy, p);
            var ixz = Load(r.Ixz, p);
            var iyz = Load(r.Iyz, p);
            var norm1 = ixx * ixx + ixy * ixy + zeta2;
            var norm2 = iyy * iyy + ixy * ixy + zeta2;
            var zx = ixz + ixx * du + ixy * dv;
            var zy = iyz + ixy * du + iyy * dv;
            weight = gamma2 / Vector256.Sqrt(zx * zx / norm1 + zy * zy / norm2 + eps2);
            a11 += weight * (ixx * ixx / norm1 + ixy * ixy / norm2);
            a12 += weight * (ixx * ixy / norm1 + ixy * iyy / norm2);
            a22 += weight * (ixy * ixy / norm1 + iyy * iyy / norm2);
            b1 += -weight * (ixx * ixz / norm1 + ixy * iyz / norm2);
            b2 += -weight * (ixy * ixz / norm1 + iyy * iyz / norm2);

            var wl = Load(r.Weight, q - 1);
            var wp = Load(r.Weight, q);
            var wu = Load(r.Weight, q - stride);
            var wd = down > 0 ? wp : Vector256<float>.Zero;
            (a11 + wl + wp + wu + wd).StoreUnsafe(ref r.A11[0], (nuint)p);
            (a22 + wl + wp + wu + wd).StoreUnsafe(ref r.A22[0], (nuint)p);
            a12.StoreUnsafe(ref r.A12[0], (nuint)p);
            var u0 = Load(u, p);
            var v0 = Load(v, p);
            (b1 - wl * (u0 - Load(u, p - 1)) + wp * (Load(u, p + 1) - u0) - wu * (u0 - Load(u, p - up)) + wd * (Load(u, p + down) - u0))
                .StoreUnsafe(ref r.B1[0], (nuint)p);
            (b2 - wl * (v0 - Load(v, p - 1)) + wp * (Load(v, p + 1) - v0) - wu * (v0 - Load(v, p - up)) + wd * (Load(v, p + down) - v0))
                .StoreUnsafe(ref r.B2[0], (nuint)p);
        }
        for (; j < w; j++) AssemblePixel(r, u, v, i, j);
    }

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
        var mask = RedBlackLanes.Of(i, red);
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
        for (j = RedBlackLanes.FirstAtOrAfter(j, i, red); j < r.W; j += 2) SorPixel(r, i, j);
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
