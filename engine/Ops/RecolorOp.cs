using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// A frame given new colour: its own CIE L* (from sRGB in [0, 1], a gray frame read as equal
/// channels) joined with the second activation's a*, b* and taken back to sRGB clipped to [0, 1],
/// as <see cref="Color.Lab"/>: (N, 1|3, H, W), (N, 2, H, W) → (N, 3, H, W). What the colorizer, the
/// prior's chroma mode and the chroma stages end with, in one pass over the frame rather than a
/// full-size Lab copy of it, its L sliced out and joined to the a, b, and that converted back.
/// </summary>
public sealed record RecolorOp : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (frame, ab) = (inputs[0], inputs[1]);
        Require(frame.Rank == 4 && frame.C is (1 or 3) && ab.Rank == 4 && ab.C == 2 && (ab.N, ab.H, ab.W) == (frame.N, frame.H, frame.W),
            $"recolouring takes a (N, 1|3, H, W) frame and its (N, 2, H, W) a, b; got {frame} and {ab}");
        return new Shape(frame.N, 3, frame.H, frame.W);
    }
}
