using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// ∂L/∂x of a bilinear resize: the transpose of the interpolation (every output's gradient shared
/// among its four sources with the forward's weights). Input: dy (N, C, OutH, OutW). Output:
/// (N, C, <see cref="InputH"/>, <see cref="InputW"/>).
/// </summary>
public sealed record ResizeBilinearBackwardOp(ResizeBilinearOp Forward, int InputH, int InputW) : Op
{
    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var dy = inputs[0];
        Require(dy.Rank == 4 && dy.H == Forward.OutH && dy.W == Forward.OutW, $"resize backward expects a ({Forward.OutH}, {Forward.OutW}) gradient, got {dy}");
        Require(InputH > 0 && InputW > 0, $"resize backward to an empty {InputH}×{InputW} input");
        return new Shape(dy.N, dy.C, InputH, InputW);
    }
}
