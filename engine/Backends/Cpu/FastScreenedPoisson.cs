using System.Runtime.Intrinsics;
using Reel.Engine.Ops;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="ScreenedPoisson"/> with its SOR half-sweeps in Vector256: 8 pixels of a row at once,
/// keeping the lanes of the other colour (their neighbours are all of the other colour, so no lane
/// reads what another writes), rows in parallel where the plane is large. Same bits as the reference.
/// </summary>
internal sealed class FastScreenedPoisson(ScreenedPoissonOp op) : ScreenedPoisson(op)
{
    protected override void For(int count, long work, Action<int> body) => ParallelRows.For(count, work, body);

    protected override void SorRow(Plane s, int i, bool red)
    {
        int stride = s.W + 2;
        var colour = RedBlackLanes.Of(i, red);
        var omega = Vector256.Create(ScreenedPoissonOp.Omega);
        int j = 0;
        for (; j + 8 <= s.W; j += 8)
        {
            int k = i * s.W + j, q = s.Pad(i, j);
            var diagonal = Vector256.LoadUnsafe(ref s.Diagonal[0], (nuint)k);
            var d = Vector256.LoadUnsafe(ref s.D[0], (nuint)q);
            var sum = Vector256.LoadUnsafe(ref s.D[0], (nuint)(q - 1)) + Vector256.LoadUnsafe(ref s.D[0], (nuint)(q + 1))
                + Vector256.LoadUnsafe(ref s.D[0], (nuint)(q - stride)) + Vector256.LoadUnsafe(ref s.D[0], (nuint)(q + stride));
            var next = d + omega * ((sum + Vector256.LoadUnsafe(ref s.Rhs[0], (nuint)k)) / diagonal - d);
            var update = colour & Vector256.GreaterThan(diagonal, Vector256<float>.Zero);
            Vector256.ConditionalSelect(update, next, d).StoreUnsafe(ref s.D[0], (nuint)q);
        }
        for (j = RedBlackLanes.FirstAtOrAfter(j, i, red); j < s.W; j += 2) SorPixel(s, i, j);
    }
}
