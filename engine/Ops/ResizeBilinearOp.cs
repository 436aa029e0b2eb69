using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Bilinear resize of every plane to (<see cref="OutH"/>, <see cref="OutW"/>), PyTorch's
/// interpolate(mode='bilinear') without antialiasing, with either align_corners convention.
/// </summary>
public sealed record ResizeBilinearOp(int OutH, int OutW, bool AlignCorners = false) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H > 0 && x.W > 0, $"resize expects a non-empty NCHW input, got {x}");
        Require(OutH > 0 && OutW > 0, $"resize target {OutH}×{OutW} is empty");
        return new Shape(x.N, x.C, OutH, OutW);
    }
}
