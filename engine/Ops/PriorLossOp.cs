using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Engine.Ops;

/// <summary>
/// The Deep Video Prior's training loss (specs/models.md §3) for output o (1, 3|6, H, W), input
/// frame (1, 3, H, W) and processed frame p (1, 3, H, W): means over the valid top-left
/// <see cref="ValidH"/> × <see cref="ValidW"/> region and all 3 channels (the reflect padding is
/// not data). Output: the loss, shape (1).
/// </summary>
public sealed record PriorLossOp(PriorLossKind Kind, int ValidH, int ValidW) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 3;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        CheckInputs(Kind, ValidH, ValidW, inputs);
        return new Shape(1);
    }

    internal static void CheckInputs(PriorLossKind kind, int validH, int validW, IReadOnlyList<Shape> inputs)
    {
        var (o, x, p) = (inputs[0], inputs[1], inputs[2]);
        int heads = kind == PriorLossKind.L1 ? 3 : 6;
        Require(o.Rank == 4 && o.N == 1 && o.C == heads, $"{kind} needs a {heads}-output net, got {o}");
        var frame = new Shape(1, 3, o.H, o.W);
        Require(x.Equals(frame) && p.Equals(frame), $"the prior's loss needs input and processed frames of {frame}, got {x} and {p}");
        Require(validH >= 1 && validW >= 1 && validH <= o.H && validW <= o.W, $"valid region {validH}×{validW} is not inside {o.H}×{o.W}");
    }
}
