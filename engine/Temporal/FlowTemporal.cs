using Reel.Engine.Backends;
using Reel.Engine.Tensors;

namespace Reel.Engine.Temporal;

/// <summary>
/// Flow-guided temporal consistency for one shot, streaming: <see cref="Track"/> each input frame
/// (its motion from the previous one), then <see cref="Stabilize"/> its processed frame. With
/// colour fusion on, <see cref="FuseLogits"/> is the hook the colorizer calls between its logits
/// and the annealed mean. Memory holds the previous frame's luma, output and fused distribution,
/// whatever the shot's length.
/// </summary>
public sealed class FlowTemporal : IDisposable
{
    private readonly MotionTracker _tracker;
    private readonly FlowConsistency _consistency;
    private readonly FusedColorDistributions? _fusion;
    private Motion? _motion;

    /// <summary>
    /// A stage on <paramref name="backend"/>; <paramref name="fuseColours"/> also fuses the colorizer's
    /// distributions (when the options' share is above 0). With <paramref name="detectCuts"/> the stage
    /// finds the scene cuts in what it is given (<see cref="MotionTracker"/>); without, it is given one shot.
    /// </summary>
    public FlowTemporal(FlowTemporalOptions options, IBackend backend, bool fuseColours = false, bool detectCuts = true)
    {
        FusionTemperature = options.FusionTemperature;
        _tracker = new MotionTracker(backend, detectCuts);
        _consistency = new FlowConsistency(options, backend);
        _fusion = fuseColours && options.FusionKeep > 0 ? new FusedColorDistributions(options, backend) : null;
    }

    /// <summary>The annealed mean's temperature for fused distributions (sharper than per-frame decoding: the fusion already removed the spread between modes).</summary>
    public float FusionTemperature { get; }

    /// <summary>The motion from the previous input frame to this one (null at the first frame and after a cut); the stage owns it until the next frame.</summary>
    public Motion? Track(Tensor input)
    {
        _motion?.Dispose();
        return _motion = _tracker.Next(input);
    }

    /// <summary>Fuses the colorizer's logits of the frame last tracked, or null when colour fusion is off.</summary>
    public Func<Tensor, Tensor>? FuseLogits => _fusion is null ? null : logits => _fusion.Fuse(logits, _motion);

    /// <summary>The processed frame of the frame last tracked, made consistent with the previous output.</summary>
    public Tensor Stabilize(Tensor processed) => _consistency.Next(processed, _motion);

    /// <summary><see cref="Track"/> then <see cref="Stabilize"/>.</summary>
    public Tensor Next(Tensor input, Tensor processed)
    {
        Track(input);
        return Stabilize(processed);
    }

    /// <summary>Frees the stages' prepared ops and what they keep of the last frame (device memory on a GPU).</summary>
    public void Dispose()
    {
        _motion?.Dispose();
        _tracker.Dispose();
        _consistency.Dispose();
        _fusion?.Dispose();
    }
}
