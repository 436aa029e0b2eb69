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
    public override int ActivationCount => 3;

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

/// <summary>
/// ∂L/∂o of <see cref="PriorLossOp"/> with the same inputs: sign(o − p) / (3·ValidH·ValidW) on
/// the elements each head trains (× 0.9 for IRT-init's minor head), 0 elsewhere. Output: o's shape.
/// </summary>
public sealed record PriorLossBackwardOp(PriorLossKind Kind, int ValidH, int ValidW) : Op
{
    public override int ActivationCount => 3;

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        PriorLossOp.CheckInputs(Kind, ValidH, ValidW, inputs);
        return inputs[0];
    }
}

/// <summary>
/// One Adam step, step number <see cref="Step"/> ≥ 1, with PyTorch's exact update (torch.optim.Adam,
/// no weight decay, no amsgrad): m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
/// p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε), the bias corrections in double as Python
/// computes them, the tensor math in float32 with no fused multiply-add. Inputs: p, g, m, v (equal
/// shapes); m and v are updated in place. Output: the new p (usually p itself).
/// </summary>
public sealed record AdamStepOp(float LearningRate, float Beta1, float Beta2, float Epsilon, int Step) : Op
{
    public override int ActivationCount => 4;

    /// <summary>lr / (1 − β1ᵗ), rounded to float once.</summary>
    public float StepSize => (float)(LearningRate / (1 - Math.Pow(Beta1, Step)));

    /// <summary>√(1 − β2ᵗ), rounded to float once.</summary>
    public float SecondMomentCorrection => (float)Math.Sqrt(1 - Math.Pow(Beta2, Step));

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(Step >= 1, $"Adam steps count from 1, got {Step}");
        var p = inputs[0];
        for (int i = 1; i < 4; i++)
            Require(inputs[i].Equals(p), $"Adam needs the parameter, gradient and both moments of one shape, got {p} and {inputs[i]}");
        return p;
    }
}
