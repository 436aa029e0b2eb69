using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// The annealed mean of the ECCV16 colorizer: per pixel, p = softmax(z / T) over the Q logits,
/// then ab = Σ_q p_q · centre_q. Inputs: logits (N, Q, H, W); parameter: centres (2, Q).
/// Output (N, 2, H, W). T = 1 is the plain expectation; T → 0 approaches the mode.
/// </summary>
public sealed record AnnealedMeanOp(int Bins, float Temperature) : Op
{
    /// <inheritdoc/>
    public override IReadOnlyList<Shape> ParameterShapes => new[] { new Shape(2, Bins) };

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C == Bins, $"annealed mean expects {Bins} logits per pixel in NCHW, got {x}");
        Require(Temperature > 0 && float.IsFinite(Temperature), $"temperature must be a positive number, got {Temperature}");
        return new Shape(x.N, 2, x.H, x.W);
    }
}
