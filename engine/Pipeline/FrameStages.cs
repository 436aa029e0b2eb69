using Reel.Engine.Models;
using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// A restore's per-frame stages, in the order every restore runs them: DnCNN, the clamp to [0, 1],
/// gray → RGB and the colorizer. The restored input (what the prior learns from) and its processed
/// (colorized) version come back for the shot's stores.
/// </summary>
public sealed class FrameStages(DnCnn? denoiser, ColorizeStage? colorize, float temperature)
{
    /// <summary>What the stages do, for progress lines ("denoise, colorize").</summary>
    public string Description => (denoiser, colorize) switch
    {
        (not null, not null) => "denoise, colorize",
        (not null, null) => "denoise",
        (null, not null) => "colorize",
        _ => "decode",
    };

    /// <summary>(1, C, H, W) frame in [0, 1] → (1, 3, H, W) restored input and processed frames (the same tensor without a colorizer).</summary>
    public (Tensor RestoredInput, Tensor Processed) Run(Tensor frame)
    {
        if (denoiser is not null)
        {
            frame = denoiser.Forward(frame);
            FrameOps.Clamp01(frame);
        }
        var restored = FrameOps.ToRgb(frame);
        return (restored, colorize is null ? restored : colorize.Colorize(restored, temperature));
    }
}
