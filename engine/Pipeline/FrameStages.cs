using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// A restore's per-frame stages on one backend: the decoded frame crosses to it once; DnCNN, the
/// clamp to [0, 1], gray → RGB, the colorizer and the flow stage run there; the restored input and
/// its processed (colorized, made consistent) version come back to the host for the shot's stores,
/// read while the next frame's stages run (<see cref="Queue"/>). On the CPU nothing moves. DnCNN's
/// windows hold at most <paramref name="denoiseTilePixels"/> pixels (the memory plan's).
/// </summary>
public sealed class FrameStages(IBackend backend, DnCnn? denoiser, long denoiseTilePixels, ColorizeStage? colorize, float temperature)
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
    /// Queues the stages on a (1, C, H, W) frame in [0, 1] and the reads of its results, and returns
    /// without waiting for them: the host (1, 3, H, W) restored input and processed frames (the same
    /// tensor without a colorizer) come with <see cref="QueuedFrame.Wait"/>, so on a GPU the caller can
    /// queue the next frame first and the device does not idle while the host stores this one. With
    /// <paramref name="flow"/> (the flow-guided temporal stage of the frame's shot) the restored input
    /// is tracked first, the colorizer's distributions are fused along the flow when the stage fuses
    /// colours, and the processed frame comes back made consistent.
    /// </summary>
    public QueuedFrame Queue(Tensor frame, FlowTemporal? flow = null)
    {
        using var x = backend.Import(frame);
        using var denoised = denoiser?.Forward(x, denoiseTilePixels);
        using var clamped = denoised is null ? null : backend.Execute(new ClampOp(0f, 1f), denoised);
        var restored = clamped ?? x;
        using var rgb = restored.Shape.C == 3 ? null : backend.Execute(new ExpandChannelsOp(3), restored);
        var input = rgb ?? restored;
        flow?.Track(input);
        var fuse = flow?.FuseLogits;
        using var processed = colorize?.Colorize(input, fuse is null ? temperature : flow!.FusionTemperature, fuse);
        using var consistent = flow?.Stabilize(processed ?? input);
        var inputRead = backend.ReadTensorLater(input);
        var result = consistent ?? processed;
        try
        {
            return new QueuedFrame(inputRead, result is null ? null : backend.ReadTensorLater(result));
        }
        catch
        {
            inputRead.Dispose();
            throw;
        }
    }
}

/// <summary>A frame whose stages are queued (<see cref="FrameStages.Queue"/>): its results on their way to the host.</summary>
public sealed class QueuedFrame : IDisposable
{
    private readonly PendingTensor _input;
    private readonly PendingTensor? _processed;

    internal QueuedFrame(PendingTensor input, PendingTensor? processed) => (_input, _processed) = (input, processed);

    /// <summary>The host restored input and processed frames, waiting for them (a failed finite check of the frame's stages throws here).</summary>
    public (Tensor RestoredInput, Tensor Processed) Wait()
    {
        var input = _input.Wait();
        return (input, _processed?.Wait() ?? input);
    }

    /// <summary>Gives up the reads not waited for.</summary>
    public void Dispose()
    {
        _input.Dispose();
        _processed?.Dispose();
    }
}
