using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Bicubic resize of every plane (a = −0.5) in the manner of PIL's Image.resize: the kernel is
/// stretched by the scale when shrinking so every source pixel contributes (antialiased), weights
/// and sums in double, the result clamped to [0, 1]. The colorizer's 256² input is made this way.
/// </summary>
public sealed record ResizeBicubicOp(int OutH, int OutW) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H > 0 && x.W > 0 && OutH > 0 && OutW > 0, $"bicubic resize of {x} to {OutH}×{OutW}");
        return new Shape(x.N, x.C, OutH, OutW);
    }
}
