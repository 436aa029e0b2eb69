using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// ∂L/∂x of a 2-D convolution: the gradient of its output, dy, taken back through the weights
/// (the convolution itself; a fused activation's gradient is applied to dy first, by
/// <see cref="ReluBackwardOp"/>). Inputs: dy (N, Cout, Ho, Wo); parameter: the forward's weight
/// (Cout, Cin, KH, KW). Output: (N, Cin, <see cref="InputH"/>, <see cref="InputW"/>), the
/// forward input's size, which a stride above 1 leaves ambiguous from dy alone.
/// </summary>
public sealed record Conv2dBackwardDataOp(Conv2dOp Forward, int InputH, int InputW) : Op
{
    /// <inheritdoc/>
    public override IReadOnlyList<Shape> ParameterShapes => new[] { Forward.ParameterShapes[0] };

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var dy = inputs[0];
        Require(dy.Rank == 4, $"conv backward-data expects an NCHW gradient, got {dy}");
        var x = new Shape(dy.N, Forward.InChannels, InputH, InputW);
        Require(Forward.InferShape(new[] { x }).Equals(dy), $"conv backward-data: {Forward} maps {x} to {Forward.InferShape(new[] { x })}, not {dy}");
        return x;
    }
}
