using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Box-averaged downscale of every plane by an integer <see cref="Factor"/>: output pixel (i, j) is
/// the mean of the source block [i·f, (i + 1)·f) × [j·f, (j + 1)·f), summed in double in row-major
/// order; blocks cut short by the bottom or right edge average the pixels they hold. Output
/// (N, C, ⌈H / f⌉, ⌈W / f⌉). The prior's coarse-to-fine epochs train on frames made this way.
/// </summary>
public sealed record DecimateOp(int Factor) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H > 0 && x.W > 0 && Factor >= 1, $"decimating by {Factor} needs a non-empty NCHW input and a factor ≥ 1, got {x}");
        return new Shape(x.N, x.C, (x.H + Factor - 1) / Factor, (x.W + Factor - 1) / Factor);
    }
}
