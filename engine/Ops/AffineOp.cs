using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Per-channel affine y = x·scale[c] + shift[c] (inference BatchNorm). Parameters: scale (C), shift (C).
/// </summary>
public sealed record AffineOp(int Channels, Activation Activation = Activation.None) : Op
{
    /// <inheritdoc/>
    public override IReadOnlyList<Shape> ParameterShapes => new[] { new Shape(Channels), new Shape(Channels) };

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C == Channels, $"affine expects {Channels} channels in NCHW, got {x}");
        return x;
    }
}
