using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// The screened Poisson step of gradient-domain temporal consistency (Bonneel et al. 2015): O keeps
/// the spatial gradients of P and is pulled, where the confidence c is high, towards (1 − b)·T + b·P,
/// i.e. it minimizes Σ|∇O − ∇P|² + Σ λ·c·|O − T′|² over each channel (4-neighbour differences, no flux
/// across the border). The blend b = <see cref="Blend"/>·exp(−|P − T|² / 2σ²), σ = <see cref="Robust"/>
/// (|·| over the channels; σ = 0: b = Blend everywhere), lets small differences (flicker around one
/// value) average while a jump to another value (a colorizer changing modes) is not followed.
/// Solved for D = O − P from D = 0 by <see cref="Iterations"/> red-black SOR sweeps (ω = 1.5), so
/// where c = 0 everywhere O = P exactly.
/// Activations: P (N, C, H, W), T (N, C, H, W), c (N, 1, H, W) in [0, 1]. Output (N, C, H, W).
/// </summary>
public sealed record ScreenedPoissonOp(float Lambda, float Blend, int Iterations, float Robust = 0f) : Op
{
    /// <summary>The SOR over-relaxation: on the screened systems here 10 sweeps reach what 30 conjugate-gradient steps do.</summary>
    public const float Omega = 1.5f;

    /// <inheritdoc/>
    public override int ActivationCount => 3;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (p, t, c) = (inputs[0], inputs[1], inputs[2]);
        Require(p.Rank == 4 && p.Equals(t), $"screened Poisson needs P and T of one NCHW shape, got {p} and {t}");
        Require(c.Rank == 4 && c.C == 1 && c.N == p.N && c.H == p.H && c.W == p.W, $"screened Poisson needs a (N, 1, H, W) confidence for {p}, got {c}");
        Require(Lambda >= 0 && float.IsFinite(Lambda) && Blend >= 0 && Blend <= 1 && Iterations >= 0 && Robust >= 0 && float.IsFinite(Robust),
            $"screened Poisson needs λ ≥ 0, blend in [0, 1], iterations ≥ 0 and a robust scale ≥ 0, got {this}");
        return p;
    }
}
