using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>The <see cref="Height"/> × <see cref="Width"/> window of every plane whose top-left corner is (<see cref="Top"/>, <see cref="Left"/>).</summary>
public sealed record CropOp(int Height, int Width, int Top = 0, int Left = 0) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && Height >= 1 && Width >= 1 && Top >= 0 && Left >= 0 && Top + Height <= x.H && Left + Width <= x.W,
            $"a {Height}×{Width} crop at ({Top}, {Left}) does not fit {x}");
        return new Shape(x.N, x.C, Height, Width);
    }
}
