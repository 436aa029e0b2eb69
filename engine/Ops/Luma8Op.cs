using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// The 8-bit luma the optical flow runs on, as OpenCV's RGB2GRAY makes it from 8-bit RGB (and as
/// bench/temporal_score.py reads frames): (N, 3, H, W) RGB in [0, 1] → (N, 1, H, W) levels
/// (4899 R + 9617 G + 1868 B + 2¹³) >> 14, divided by 255, each channel first quantized by
/// <see cref="Level"/>. Every backend gives these bits exactly: the quantization is in double, the
/// rest in integers, and the final division is one correctly rounded float division.
/// </summary>
public sealed record Luma8Op : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C == 3, $"the 8-bit luma needs RGB (N, 3, H, W), got {x}");
        return new Shape(x.N, 1, x.H, x.W);
    }

    /// <summary>[0, 1] → 0–255 as bench/temporal_score.py does: ⌊v·255 + 0.5⌋ in double, clipped.</summary>
    public static int Level(float v) => (int)Math.Clamp(Math.Floor(v * 255.0 + 0.5), 0, 255);

    /// <summary>One pixel's luma from its 8-bit levels, divided by 255.</summary>
    public static float Luma(int r, int g, int b) => ((4899 * r + 9617 * g + 1868 * b + (1 << 13)) >> 14) / 255f;
}
