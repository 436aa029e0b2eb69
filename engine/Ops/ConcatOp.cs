using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>Channel concatenation of two NCHW tensors of equal N, H, W: first a's channels, then b's.</summary>
public sealed record ConcatOp : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (a, b) = (inputs[0], inputs[1]);
        Require(a.Rank == 4 && b.Rank == 4 && a.N == b.N && a.H == b.H && a.W == b.W,
            $"concat needs equal N, H, W, got {a} and {b}");
        return new Shape(a.N, a.C + b.C, a.H, a.W);
    }
}
