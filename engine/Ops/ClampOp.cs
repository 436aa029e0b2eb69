using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>y = min(max(x, Min), Max).</summary>
public sealed record ClampOp(float Min, float Max) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(Min <= Max, $"clamp range [{Min}, {Max}] is empty");
        return inputs[0];
    }
}
