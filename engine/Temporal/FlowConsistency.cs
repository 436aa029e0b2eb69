using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;

namespace Reel.Engine.Temporal;

/// <summary>
/// Blind temporal consistency in the gradient domain (Bonneel, Tompkin, Sunkavalli, Sun, Paris,
/// Pfister 2015), one frame at a time: each output keeps the processed frame's spatial gradients and
/// is pulled (screened Poisson, <see cref="ScreenedPoissonOp"/>) towards the previous output warped
/// along the input's flow, where the flow passed its forward–backward check; occluded pixels and
/// frames after a scene cut are not pulled. Low spatial frequencies, where per-frame processing
/// flickers, follow the previous output, blended up to <see cref="FlowTemporalOptions.Blend"/> towards
/// the processed frame where the two are close (<see cref="FlowTemporalOptions.Robust"/>), so flicker
/// around one value averages out and a slow real change comes through, while a jump to another mode
/// is not followed; fine detail comes from the processed frame. In chroma mode only Lab a, b go through the solve and the processed frame keeps
/// its own L. Only the previous output is kept.
/// </summary>
public sealed class FlowConsistency(FlowTemporalOptions options, IBackend backend) : IDisposable
{
    private readonly IPreparedOp _warp = backend.Prepare(new WarpOp());
    /// <summary>Lab a and b span about 256 units; RGB 1.</summary>
    private const float AbRange = 256f;

    private readonly IPreparedOp _solve = backend.Prepare(new ScreenedPoissonOp(options.Lambda, options.Blend, options.Iterations,
        options.Robust * (options.Mode == StabilizeMode.Chroma ? AbRange : 1f)));
    private Tensor? _previous;

    // Chroma mode: the frame goes to Lab, its a, b planes through the solve, then back beside its own L, all on the backend.
    private readonly IPreparedOp _toLab = backend.Prepare(new RgbToLabOp());
    private readonly IPreparedOp _recolor = backend.Prepare(new RecolorOp());
    private readonly IPreparedOp _clamp = backend.Prepare(new ClampOp(0f, 1f));
    // The planes the solve works on, copied out of the frame (Lab a, b, or RGB): the result is kept as
    // the next frame's previous output, so it must be this stage's own, not a view of what the caller frees.
    private readonly IPreparedOp _planes = backend.Prepare(options.Mode == StabilizeMode.Chroma ? new SliceChannelsOp(1, 2) : new SliceChannelsOp(0, 3));

    /// <summary>The consistent version of <paramref name="rgb"/>, the processed frame (1, 3, H, W) in [0, 1]; no motion means nothing to follow. The caller disposes the result.</summary>
    public Tensor Next(Tensor rgb, Motion? motion)
    {
        using var lab = options.Mode == StabilizeMode.Chroma ? _toLab.Run(rgb) : null;
        var frame = lab ?? rgb;
        var p = backend.Zeros(_planes.Op.InferShape(new[] { frame.Shape }));
        _planes.RunInto(p, frame);
        var o = p;
        if (motion is not null && _previous is not null && _previous.Shape.Equals(p.Shape))
        {
            using (p)
            using (var warped = _warp.Run(_previous, motion.Back))
                o = _solve.Run(p, warped, motion.Confidence);
        }
        _previous?.Dispose();
        _previous = o;
        return lab is null ? _clamp.Run(o) : _recolor.Run(rgb, o);
    }

    /// <summary>Frees the prepared ops and the previous output (device memory on a GPU).</summary>
    public void Dispose()
    {
        _previous?.Dispose();
        foreach (var op in new[] { _warp, _solve, _toLab, _recolor, _planes, _clamp }) op.Dispose();
    }
}
