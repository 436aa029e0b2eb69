using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// ∂L/∂W of a 2-D convolution, summed over the batch. Inputs: the forward's input x
/// (N, Cin, H, W) and dy (N, Cout, Ho, Wo). Output: (Cout, Cin, KH, KW), written over.
/// </summary>
public sealed record Conv2dBackwardWeightOp(Conv2dOp Forward) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (x, dy) = (inputs[0], inputs[1]);
        var y = Forward.InferShape(new[] { x });
        Require(y.Equals(dy), $"conv backward-weight: {Forward} maps {x} to {y}, but the gradient is {dy}");
        return Forward.ParameterShapes[0];
    }
}
