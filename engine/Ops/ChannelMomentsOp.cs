using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Each channel's mean and variance over every frame and pixel: (N, C, H, W) → (2, C), row 0 the
/// means, row 1 the mean squared deviations. Both are summed in double, the second about the mean
/// already found (a second pass; a GPU sums slices about their own means and adds each slice's
/// offset from the whole mean exactly), never as the mean of squares less the squared mean: that
/// difference of two large sums loses the spread of a faint plane with an offset. One op, so a
/// device computes both without the host reading the mean in between.
/// </summary>
public sealed record ChannelMomentsOp : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.ElementCount > 0, $"channel moments take a non-empty (N, C, H, W), got {x}");
        return new Shape(2, x.C);
    }
}
