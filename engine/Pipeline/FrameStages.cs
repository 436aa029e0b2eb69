using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// A restore's per-frame stages on one backend: the decoded frame crosses to it once; DnCNN, the
/// clamp to [0, 1], gray → RGB, the colorizer and the flow stage run there; the restored input and
/// its processed (colorized, made consistent) version come back to the host for the shot's stores.
/// On the CPU nothing moves.
/// </summary>
public sealed class FrameStages(IBackend backend, DnCnn? denoiser, ColorizeStage? colorize, float temperature)
{
    /// <summary>What the stages do, for progress lines ("denoise, colorize").</summary>
    public string Description => (denoiser, colorize) switch
    {
        (not null, not null) => "denoise, colorize",
        (not null, null) => "denoise",
        (null, not null) => "colorize",
        _ => "decode",
    };

    /// <summary>
    /// (1, C, H, W) frame in [0, 1] → host (1, 3, H, W) restored input and processed frames (the same
    /// tensor without a colorizer). With <paramref name="flow"/> (the flow-guided temporal stage of the
    /// frame's shot) the restored input is tracked first, the colorizer's distributions are fused along
    /// the flow when the stage fuses colours, and the processed frame comes back made consistent.
    /// </summary>
    public (Tensor RestoredInput, Tensor Processed) Run(Tensor frame, FlowTemporal? flow = null)
    {
        using var x = backend.Import(frame);
        using var denoised = denoiser?.Forward(x);
        using var clamped = denoised is null ? null : backend.Execute(new ClampOp(0f, 1f), denoised);
        var restored = clamped ?? x;
        using var rgb = restored.Shape.C == 3 ? null : backend.Execute(new ExpandChannelsOp(3), restored);
        var input = rgb ?? restored;
        flow?.Track(input);
        var fuse = flow?.FuseLogits;
        using var processed = colorize?.Colorize(input, fuse is null ? temperature : flow!.FusionTemperature, fuse);
        var inputOnHost = input.ToHost();
        if (flow is null) return (inputOnHost, processed is null ? inputOnHost : processed.ToHost());
        using var consistent = flow.Stabilize(processed ?? input);
        return (inputOnHost, consistent.ToHost());
    }
}
