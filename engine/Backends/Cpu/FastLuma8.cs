using System.Runtime.Intrinsics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="Luma8Op"/> row by row on every core, eight pixels at a time: the levels are
/// ⌊v·255 + 0.5⌋ in double as the reference's, the weighted sum and the shift by 14 are exact in
/// double (sums stay below 2²⁴), and the division by 255 is the reference's float division, so the
/// results are its bits.
/// </summary>
internal sealed class FastLuma8(Luma8Op op) : IPreparedOp
{
    public Op Op => op;
    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(op, y, activations);
        var x = activations[0];
        var s = x.Shape;
        int plane = s.H * s.W;
        ParallelRows.For(s.N * s.H, 16L * s.N * plane, row =>
        {
            int n = row / s.H, at = row % s.H * s.W;
            var rgb = x.Data.AsSpan(3 * n * plane, 3 * plane);
            Row(rgb.Slice(at, s.W), rgb.Slice(plane + at, s.W), rgb.Slice(2 * plane + at, s.W), y.Data.AsSpan(n * plane + at, s.W));
        });
    }

    private static void Row(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> luma)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; j + Vector256<float>.Count <= luma.Length; j += Vector256<float>.Count)
            {
                var (r0, r1) = Vector256.Widen(Vector256.Create(r.Slice(j)));
                var (g0, g1) = Vector256.Widen(Vector256.Create(g.Slice(j)));
                var (b0, b1) = Vector256.Widen(Vector256.Create(b.Slice(j)));
                var levels = Vector256.Narrow(Weighted(r0, g0, b0), Weighted(r1, g1, b1));
                (levels / Vector256.Create(255f)).CopyTo(luma.Slice(j));
            }
        for (; j < luma.Length; j++) luma[j] = Luma8Op.Luma(Luma8Op.Level(r[j]), Luma8Op.Level(g[j]), Luma8Op.Level(b[j]));
    }

    /// <summary>(4899 R + 9617 G + 1868 B + 2¹³) >> 14 of four pixels' levels, as doubles holding integers.</summary>
    private static Vector256<double> Weighted(Vector256<double> r, Vector256<double> g, Vector256<double> b)
    {
        var sum = Level(r) * 4899.0 + Level(g) * 9617.0 + Level(b) * 1868.0 + Vector256.Create(8192.0);
        return Vector256.Floor(sum * (1.0 / 16384));
    }

    private static Vector256<double> Level(Vector256<double> v) =>
        Vector256.Min(Vector256.Max(Vector256.Floor(v * 255.0 + Vector256.Create(0.5)), Vector256<double>.Zero), Vector256.Create(255.0));
}
