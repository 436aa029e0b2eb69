using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// One Adam step, step number <see cref="Step"/> ≥ 1, with PyTorch's exact update (torch.optim.Adam,
/// no weight decay, no amsgrad): m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
/// p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε), the bias corrections in double as Python
/// computes them, the tensor math in float32 with no fused multiply-add. Inputs: p, g, m, v (equal
/// shapes); m and v are updated in place. Output: the new p (usually p itself).
/// </summary>
public sealed record AdamStepOp(float LearningRate, float Beta1, float Beta2, float Epsilon, int Step) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 4;

    /// <summary>lr / (1 − β1ᵗ), rounded to float once.</summary>
    public float StepSize => (float)(LearningRate / (1 - Math.Pow(Beta1, Step)));

    /// <summary>√(1 − β2ᵗ), rounded to float once.</summary>
    public float SecondMomentCorrection => (float)Math.Sqrt(1 - Math.Pow(Beta2, Step));

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(Step >= 1, $"Adam steps count from 1, got {Step}");
        var p = inputs[0];
        for (int i = 1; i < 4; i++)
            Require(inputs[i].Equals(p), $"Adam needs the parameter, gradient and both moments of one shape, got {p} and {inputs[i]}");
        return p;
    }
}
