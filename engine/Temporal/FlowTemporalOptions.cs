using Reel.Engine.Pipeline;

namespace Reel.Engine.Temporal;

/// <summary>
/// Settings of the flow-guided temporal consistency. The defaults are the ones measured on the goat
/// and bike-packing clips (README): a pull of λ = 1 per pixel where the flow is trusted, blended up to
/// 30% towards the current processed frame where it is within ~15% of the range of the previous
/// output, 10 SOR sweeps; colour fusion with a memory of ~20 frames,
/// which kept the majority colour on synthetic distributions whose mode jumps in a third of the frames.
/// </summary>
public sealed record FlowTemporalOptions
{
    /// <summary>Rgb: every channel in the gradient domain; Chroma: Lab a, b only, the processed frame's own L kept.</summary>
    public StabilizeMode Mode { get; init; } = StabilizeMode.Rgb;
    /// <summary>Weight of the pull towards the previous output, per pixel, against the gradients (λ of the screened Poisson equation).</summary>
    public float Lambda { get; init; } = 1f;
    /// <summary>Share of the current processed frame in the pull's target (0: follow the previous output only; 1: no temporal pull).</summary>
    public float Blend { get; init; } = 0.3f;
    /// <summary>
    /// How far the processed frame may be from the previous output and still be blended in, as a
    /// fraction of the channel's range (ab spans 256, RGB 1): the blend falls off as exp(−d² / 2σ²),
    /// so flicker around one value averages out while a jump to another colour is not followed.
    /// </summary>
    public float Robust { get; init; } = 0.15f;
    /// <summary>Red-black SOR sweeps per frame.</summary>
    public int Iterations { get; init; } = 10;
    /// <summary>Colorizer-aware: share of the previous fused distribution kept in each frame's, a memory of about 1 / (1 − keep) = 20 frames (0 turns fusion off).</summary>
    public float FusionKeep { get; init; } = 0.95f;
    /// <summary>Colorizer-aware: the annealing temperature each frame's distribution is sharpened with before fusing, and the fused one decoded with (the paper's 0.38: mode-seeking).</summary>
    public float FusionTemperature { get; init; } = 0.38f;

    /// <summary>Refuses settings no run can use, before any work starts.</summary>
    public void Validate()
    {
        if (!(Lambda >= 0) || !float.IsFinite(Lambda)) throw new UsageException($"--flow-lambda must be ≥ 0, got {Lambda}");
        if (!(Blend >= 0 && Blend <= 1)) throw new UsageException($"--flow-blend must be in [0, 1], got {Blend}");
        if (Iterations < 0) throw new UsageException($"--flow-iterations must be ≥ 0, got {Iterations}");
        if (!(Robust >= 0) || !float.IsFinite(Robust)) throw new UsageException($"--flow-robust must be ≥ 0, got {Robust}");
        if (!(FusionKeep >= 0 && FusionKeep <= 1)) throw new UsageException($"the fusion share must be in [0, 1], got {FusionKeep}");
        if (!(FusionTemperature > 0) || !float.IsFinite(FusionTemperature)) throw new UsageException($"the fusion temperature must be > 0, got {FusionTemperature}");
    }
}
