using System.Diagnostics;
using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// Bilinear resize with the source indices and weights tabulated once per call, planes in parallel,
/// separably: across each input row, then between rows.
/// </summary>
// SAFETY: pointers only into the planes and tables pinned in RunInto, whose asserts bound every index the helpers use.
internal sealed unsafe class FastResize : IPreparedOp
{
    private readonly ResizeBilinearOp _op;

    public FastResize(ResizeBilinearOp op) => _op = op;

    public Op Op => _op;

    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(_op, y, activations);
        var x = activations[0];
        var s = x.Shape;
        var (ry0, ry1, fy) = Table(s.H, _op.OutH);
        var (rx0, rx1, fx) = Table(s.W, _op.OutW);
        var used = new bool[s.H];
        for (int oy = 0; oy < _op.OutH; oy++) used[ry0[oy]] = used[ry1[oy]] = true;
        int inPlane = s.H * s.W, outPlane = _op.OutH * _op.OutW, outW = _op.OutW;
        // SAFETY: the tables index input rows < H and columns < W; Across writes outW floats of a row of
        // `across` (H rows), Blend outW floats of an output row.
        Debug.Assert(ry0.All(r => r < s.H) && ry1.All(r => r < s.H) && rx0.All(c => c < s.W) && rx1.All(c => c < s.W));
        Parallel.For(0, s.N * s.C, () => ArrayPool<float>.Shared.Rent(s.H * outW), (p, _, across) =>
        {
            Debug.Assert((p + 1) * inPlane <= x.Length && (p + 1) * outPlane <= y.Length && across.Length >= s.H * outW);
            fixed (float* src = &x.Data[p * inPlane])
            fixed (float* dst = &y.Data[p * outPlane])
            fixed (float* rows = across)
            fixed (int* i0 = rx0)
            fixed (int* i1 = rx1)
            fixed (float* f = fx)
            {
                // Each input row that is used interpolated across once (an upsampling ×2 reads every row twice),
                // then each output row blended from two of them: the same float operations, in the
                // same order, as interpolating every output pixel from its four sources.
                for (int iy = 0; iy < s.H; iy++)
                    if (used[iy]) Across(src + iy * s.W, i0, i1, f, rows + iy * outW, outW);
                for (int oy = 0; oy < _op.OutH; oy++)
                    Blend(rows + ry0[oy] * outW, rows + ry1[oy] * outW, fy[oy], dst + oy * outW, outW);
            }
            return across;
        }, across => ArrayPool<float>.Shared.Return(across));
    }

    /// <summary>out[j] = row[i0[j]] + (row[i1[j]] − row[i0[j]])·f[j].</summary>
    private static void Across(float* row, int* i0, int* i1, float* f, float* output, int count)
    {
        // SAFETY: vector steps read i0, i1, f and write output at [j, j + 8) only while j + 8 ≤ count; the gathers read row at the tables' indices.
        int j = 0;
        if (Avx2.IsSupported)
            for (; j + 8 <= count; j += 8)
            {
                var a = Avx2.GatherVector256(row, Vector256.Load(i0 + j), 4);
                var b = Avx2.GatherVector256(row, Vector256.Load(i1 + j), 4);
                (a + (b - a) * Vector256.Load(f + j)).Store(output + j);
            }
        for (; j < count; j++) output[j] = row[i0[j]] + (row[i1[j]] - row[i0[j]]) * f[j];
    }

    /// <summary>out[j] = t[j] + (b[j] − t[j])·w.</summary>
    private static void Blend(float* t, float* b, float w, float* output, int count)
    {
        // SAFETY: vector steps touch [j, j + 8) of each row only while j + 8 ≤ count.
        int j = 0;
        var wv = Vector256.Create(w);
        for (; j + 8 <= count; j += 8)
        {
            var top = Vector256.Load(t + j);
            (top + (Vector256.Load(b + j) - top) * wv).Store(output + j);
        }
        for (; j < count; j++) output[j] = t[j] + (b[j] - t[j]) * w;
    }

    private (int[] I0, int[] I1, float[] Frac) Table(int inSize, int outSize)
    {
        var i0 = new int[outSize];
        var i1 = new int[outSize];
        var f = new float[outSize];
        for (int o = 0; o < outSize; o++)
        {
            var (a, b, frac) = ReferenceBackend.SourceIndex(o, inSize, outSize, _op.AlignCorners);
            (i0[o], i1[o], f[o]) = (a, b, (float)frac);
        }
        return (i0, i1, f);
    }
}
