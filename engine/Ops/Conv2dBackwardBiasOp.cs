using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>∂L/∂b of a convolution's bias: dy (N, C, H, W) summed over all but the channels. Output (C).</summary>
public sealed record Conv2dBackwardBiasOp(int Channels) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var dy = inputs[0];
        Require(dy.Rank == 4 && dy.C == Channels, $"bias gradient expects {Channels} channels in NCHW, got {dy}");
        return new Shape(Channels);
    }
}
