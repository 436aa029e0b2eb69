using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// The small gray picture scene cuts are decided on: (N, C, H, W) → (N, 1, h, w) with
/// w = min(<see cref="Width"/>, W) and h = max(1, H·w / W); pixel (i, j) is the mean over all
/// channels of the box rows [i·H / h, (i + 1)·H / h) × columns [j·W / w, (j + 1)·W / w) (integer
/// division, so the boxes tile the frame), summed in double over rows, then columns, then channels.
/// </summary>
public sealed record ThumbnailOp(int Width) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C > 0 && x.H > 0 && x.W > 0 && Width >= 1, $"a thumbnail {Width} wide needs a non-empty NCHW input and a width ≥ 1, got {x}");
        int w = Math.Min(Width, x.W);
        return new Shape(x.N, 1, Math.Max(1, (int)((long)x.H * w / x.W)), w);
    }
}
