using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Engine.Ops;

/// <summary>
/// ∂L/∂o of <see cref="PriorLossOp"/> with the same inputs: sign(o − p) / (3·ValidH·ValidW) on
/// the elements each head trains (× 0.9 for IRT-init's minor head), 0 elsewhere. Output: o's shape.
/// </summary>
public sealed record PriorLossBackwardOp(PriorLossKind Kind, int ValidH, int ValidW) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 3;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        PriorLossOp.CheckInputs(Kind, ValidH, ValidW, inputs);
        return inputs[0];
    }
}
