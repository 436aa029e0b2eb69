using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// ∂L/∂x of y = max(x, 0) from the forward's output: dx = dy where y &gt; 0, else 0 (PyTorch's rule,
/// NaN included). Inputs: dy, y (equal shapes). May run in place (output = dy).
/// </summary>
public sealed record ReluBackwardOp : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(inputs[0].Equals(inputs[1]), $"relu backward needs equal shapes, got {inputs[0]} and {inputs[1]}");
        return inputs[0];
    }
}
