using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Channels [<see cref="Start"/>, Start + <see cref="Count"/>) of an NCHW tensor: how a channel
/// concat's gradient splits into its inputs' gradients. A backend may run it as a view of the
/// input's memory (no copy) where the channels are contiguous there (see <see cref="Backends.IPreparedOp.Run"/>).
/// </summary>
public sealed record SliceChannelsOp(int Start, int Count) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && Start >= 0 && Count >= 1 && Start + Count <= x.C,
            $"channels {Start}…{Start + Count - 1} are not inside {x}");
        return new Shape(x.N, Count, x.H, x.W);
    }
}
