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
    public override IReadOnlyList<Shape> ParameterShapes => new[] { Forward.ParameterShapes[0] };

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var dy = inputs[0];
        Require(dy.Rank == 4, $"conv backward-data expects an NCHW gradient, got {dy}");
        var x = new Shape(dy.N, Forward.InChannels, InputH, InputW);
        Require(Forward.InferShape(new[] { x }).Equals(dy), $"conv backward-data: {Forward} maps {x} to {Forward.InferShape(new[] { x })}, not {dy}");
        return x;
    }
}

/// <summary>
/// ∂L/∂W of a 2-D convolution, summed over the batch. Inputs: the forward's input x
/// (N, Cin, H, W) and dy (N, Cout, Ho, Wo). Output: (Cout, Cin, KH, KW), written over.
/// </summary>
public sealed record Conv2dBackwardWeightOp(Conv2dOp Forward) : Op
{
    public override int ActivationCount => 2;

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (x, dy) = (inputs[0], inputs[1]);
        var y = Forward.InferShape(new[] { x });
        Require(y.Equals(dy), $"conv backward-weight: {Forward} maps {x} to {y}, but the gradient is {dy}");
        return Forward.ParameterShapes[0];
    }
}

/// <summary>∂L/∂b of a convolution's bias: dy (N, C, H, W) summed over all but the channels. Output (C).</summary>
public sealed record Conv2dBackwardBiasOp(int Channels) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var dy = inputs[0];
        Require(dy.Rank == 4 && dy.C == Channels, $"bias gradient expects {Channels} channels in NCHW, got {dy}");
        return new Shape(Channels);
    }
}

/// <summary>
/// ∂L/∂x of y = max(x, 0) from the forward's output: dx = dy where y &gt; 0, else 0 (PyTorch's rule,
/// NaN included). Inputs: dy, y (equal shapes). May run in place (output = dy).
/// </summary>
public sealed record ReluBackwardOp : Op
{
    public override int ActivationCount => 2;

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(inputs[0].Equals(inputs[1]), $"relu backward needs equal shapes, got {inputs[0]} and {inputs[1]}");
        return inputs[0];
    }
}

/// <summary>
/// ∂L/∂x of max pooling: each window's gradient goes to the input the forward picked (its first
/// maximum in row-major order, a NaN counting as the maximum), summed where windows overlap.
/// Inputs: the forward's input x, dy. Output: x's shape.
/// </summary>
public sealed record MaxPool2dBackwardOp(MaxPool2dOp Forward) : Op
{
    public override int ActivationCount => 2;

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (x, dy) = (inputs[0], inputs[1]);
        var y = Forward.InferShape(new[] { x });
        Require(y.Equals(dy), $"max-pool backward: {Forward} maps {x} to {y}, but the gradient is {dy}");
        return x;
    }
}

/// <summary>
/// ∂L/∂x of a bilinear resize: the transpose of the interpolation (every output's gradient shared
/// among its four sources with the forward's weights). Input: dy (N, C, OutH, OutW). Output:
/// (N, C, <see cref="InputH"/>, <see cref="InputW"/>).
/// </summary>
public sealed record ResizeBilinearBackwardOp(ResizeBilinearOp Forward, int InputH, int InputW) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var dy = inputs[0];
        Require(dy.Rank == 4 && dy.H == Forward.OutH && dy.W == Forward.OutW, $"resize backward expects a ({Forward.OutH}, {Forward.OutW}) gradient, got {dy}");
        Require(InputH > 0 && InputW > 0, $"resize backward to an empty {InputH}×{InputW} input");
        return new Shape(dy.N, dy.C, InputH, InputW);
    }
}
