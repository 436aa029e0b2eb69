using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Pads bottom and right to the next multiple of <see cref="Multiple"/> by mirroring (the edge is
/// not repeated; a pad larger than the image folds back again).
/// </summary>
public sealed record PadReflectOp(int Multiple) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H > 0 && x.W > 0 && Multiple >= 1, $"reflect padding to a multiple of {Multiple} needs a non-empty NCHW input, got {x}");
        return new Shape(x.N, x.C, (x.H + Multiple - 1) / Multiple * Multiple, (x.W + Multiple - 1) / Multiple * Multiple);
    }
}
