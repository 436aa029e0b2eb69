using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// y = a + b[:, Offset : Offset + a.C]: a sum of two NCHW tensors of equal N, H, W, where b may
/// have more channels and is read from channel <see cref="SecondChannelOffset"/> on (a gradient
/// accumulated from a run of another's channels, as a concat's skip half, without a copy).
/// </summary>
public sealed record AddOp(int SecondChannelOffset = 0) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (a, b) = (inputs[0], inputs[1]);
        Require(a.Rank == 4 && b.Rank == 4 && a.N == b.N && a.H == b.H && a.W == b.W,
            $"add needs NCHW tensors of equal N, H, W, got {a} and {b}");
        Require(SecondChannelOffset >= 0 && SecondChannelOffset + a.C <= b.C,
            $"add reads channels {SecondChannelOffset}…{SecondChannelOffset + a.C - 1} of {b}, which has {b.C}");
        return a;
    }
}
