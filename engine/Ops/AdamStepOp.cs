using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// One Adam step t ≥ 1 with PyTorch's exact update (torch.optim.Adam, no weight decay, no amsgrad):
/// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε), the
/// bias corrections in double as Python computes them, the tensor math in float32 with no fused
/// multiply-add. Inputs: p, g, m, v (equal shapes; m and v are updated in place) and the step's
/// corrections (<see cref="Corrections"/>: a tensor, not a field, so one recorded training step
/// replays with each new t). Output: the new p (usually p itself).
/// </summary>
public sealed record AdamStepOp(float LearningRate, float Beta1, float Beta2, float Epsilon) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 5;

    /// <summary>Step <paramref name="t"/>'s (2) input: lr / (1 − β1ᵗ) and √(1 − β2ᵗ), each rounded to float once.</summary>
    public Tensor Corrections(int t)
    {
        if (t < 1) throw new ArgumentOutOfRangeException(nameof(t), t, "Adam steps count from 1");
        return new Tensor(new Shape(2), new[] { (float)(LearningRate / (1 - Math.Pow(Beta1, t))), (float)Math.Sqrt(1 - Math.Pow(Beta2, t)) });
    }

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var p = inputs[0];
        for (int i = 1; i < 4; i++)
            Require(inputs[i].Equals(p), $"Adam needs the parameter, gradient and both moments of one shape, got {p} and {inputs[i]}");
        Require(inputs[4].Equals(new Shape(2)), $"Adam's corrections are a (2) tensor, got {inputs[4]}");
        return p;
    }
}
