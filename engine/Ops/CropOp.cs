using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>The top-left <see cref="Height"/> × <see cref="Width"/> of every plane.</summary>
public sealed record CropOp(int Height, int Width) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && Height >= 1 && Width >= 1 && Height <= x.H && Width <= x.W, $"a {Height}×{Width} crop does not fit {x}");
        return new Shape(x.N, x.C, Height, Width);
    }
}
