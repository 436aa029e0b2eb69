using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// ∂L/∂x of max pooling: each window's gradient goes to the input the forward picked (its first
/// maximum in row-major order, a NaN counting as the maximum), summed where windows overlap.
/// Inputs: the forward's input x, dy. Output: x's shape.
/// </summary>
public sealed record MaxPool2dBackwardOp(MaxPool2dOp Forward) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (x, dy) = (inputs[0], inputs[1]);
        var y = Forward.InferShape(new[] { x });
        Require(y.Equals(dy), $"max-pool backward: {Forward} maps {x} to {y}, but the gradient is {dy}");
        return x;
    }
}
