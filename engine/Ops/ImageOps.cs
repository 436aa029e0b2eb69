using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>sRGB in [0, 1] → CIE L*a*b* (D65) per pixel, as <see cref="Color.Lab"/> (N, 3, H, W) → (N, 3, H, W).</summary>
public sealed record RgbToLabOp : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs) => ThreeChannels(inputs[0], "RGB → Lab");

    internal static Shape ThreeChannels(Shape x, string what)
    {
        Require(x.Rank == 4 && x.C == 3, $"{what} needs (N, 3, H, W), got {x}");
        return x;
    }
}

/// <summary>CIE L*a*b* → sRGB clipped to [0, 1], as <see cref="Color.Lab"/>.</summary>
public sealed record LabToRgbOp : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs) => RgbToLabOp.ThreeChannels(inputs[0], "Lab → RGB");
}

/// <summary>A one-channel image repeated into <see cref="Channels"/> channels (gray → RGB).</summary>
public sealed record ExpandChannelsOp(int Channels) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C == 1 && Channels >= 1, $"expanding to {Channels} channels needs (N, 1, H, W), got {x}");
        return new Shape(x.N, Channels, x.H, x.W);
    }
}

/// <summary>
/// Pads bottom and right to the next multiple of <see cref="Multiple"/> by mirroring (the edge is
/// not repeated; a pad larger than the image folds back again).
/// </summary>
public sealed record PadReflectOp(int Multiple) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H > 0 && x.W > 0 && Multiple >= 1, $"reflect padding to a multiple of {Multiple} needs a non-empty NCHW input, got {x}");
        return new Shape(x.N, x.C, (x.H + Multiple - 1) / Multiple * Multiple, (x.W + Multiple - 1) / Multiple * Multiple);
    }
}

/// <summary>The top-left <see cref="Height"/> × <see cref="Width"/> of every plane.</summary>
public sealed record CropOp(int Height, int Width) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && Height >= 1 && Width >= 1 && Height <= x.H && Width <= x.W, $"a {Height}×{Width} crop does not fit {x}");
        return new Shape(x.N, x.C, Height, Width);
    }
}

/// <summary>
/// Bicubic resize of every plane (a = −0.5) in the manner of PIL's Image.resize: the kernel is
/// stretched by the scale when shrinking so every source pixel contributes (antialiased), weights
/// and sums in double, the result clamped to [0, 1]. The colorizer's 256² input is made this way.
/// </summary>
public sealed record ResizeBicubicOp(int OutH, int OutW) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H > 0 && x.W > 0 && OutH > 0 && OutW > 0, $"bicubic resize of {x} to {OutH}×{OutW}");
        return new Shape(x.N, x.C, OutH, OutW);
    }
}
