using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>sRGB in [0, 1] → CIE L*a*b* (D65) per pixel, as <see cref="Color.Lab"/> (N, 3, H, W) → (N, 3, H, W).</summary>
public sealed record RgbToLabOp : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs) => ThreeChannels(inputs[0], "RGB → Lab");

    internal static Shape ThreeChannels(Shape x, string what)
    {
        Require(x.Rank == 4 && x.C == 3, $"{what} needs (N, 3, H, W), got {x}");
        return x;
    }
}
