using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>y = max(x, 0).</summary>
public sealed record ReluOp : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0];
}
