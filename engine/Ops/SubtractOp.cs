using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>y = a − b, same shapes (the residual step of DnCNN).</summary>
public sealed record SubtractOp : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(inputs[0].Equals(inputs[1]), $"subtract needs equal shapes, got {inputs[0]} and {inputs[1]}");
        return inputs[0];
    }
}
