using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// The forward–backward consistency check (Sundaram, Brox, Keutzer 2010) of two flows between a
/// pair of frames: 1 where following <c>back</c> (frame t → t−1) and then <c>forward</c>
/// (t−1 → t, sampled bilinearly at the arrival point, edge repeated) comes back within
/// |b + f|² ≤ 0.01·(|b|² + |f|²) + 0.5, else 0 (occluded in one of the frames).
/// Activations: back (N, 2, H, W), forward (N, 2, H, W). Output (N, 1, H, W).
/// </summary>
public sealed record FlowCheckOp : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (b, f) = (inputs[0], inputs[1]);
        Require(b.Rank == 4 && b.C == 2 && b.Equals(f), $"the flow check needs two (N, 2, H, W) flows of one shape, got {b} and {f}");
        return new Shape(b.N, 1, b.H, b.W);
    }
}
