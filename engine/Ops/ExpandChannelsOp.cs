using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>A one-channel image repeated into <see cref="Channels"/> channels (gray → RGB).</summary>
public sealed record ExpandChannelsOp(int Channels) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C == 1 && Channels >= 1, $"expanding to {Channels} channels needs (N, 1, H, W), got {x}");
        return new Shape(x.N, Channels, x.H, x.W);
    }
}
