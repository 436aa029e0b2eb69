using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>CIE L*a*b* → sRGB clipped to [0, 1], as <see cref="Color.Lab"/>.</summary>
public sealed record LabToRgbOp : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs) => RgbToLabOp.ThreeChannels(inputs[0], "Lab → RGB");
}
