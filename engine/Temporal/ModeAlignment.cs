using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Temporal;

/// <summary>
/// One shot's processed frames with each pixel's colour mode held along the input's motion
/// (<see cref="ModeHoldOp"/>), the Deep Video Prior's targets in chroma mode. A per-frame colorizer
/// that jumps between two colours of one object gives the prior targets whose mean is neither, and a
/// prior fitted to them shows that mean; held, each pixel keeps the colour it had where it was first
/// seen until the colorizer has shown another for <see cref="ModeHoldOp.Patience"/> frames in a row,
/// and a pixel the flow loses takes the mode the frame's tracked pixels of its colour are held in
/// (<see cref="ModeHoldOp"/>), so one surface does not end up half in each. Deterministic: the mode chosen does not
/// depend on the net's seed, as IRT's does. Only Lab a, b change; each frame keeps its own L.
/// Streaming: it keeps the previous frame's state and luma. Given frames cut into a shot already, it
/// looks for no scene cut of its own (<see cref="MotionTracker"/>: no thumbnail read per frame).
/// </summary>
public sealed class ModeAlignment(IBackend backend, bool detectCuts = true) : IDisposable
{
    /// <summary>
    /// A jump is a change of a, b by more than 10 units and more than the larger chroma of the two (a hue
    /// turn beyond 60°); wobble of a colour's saturation or a small shift of its hue is not. Six frames
    /// of another colour make it the pixel's own (a colorizer that changed its mind for good, or a real
    /// change). Measured on the synthetic clips of bench/synthetic_flicker.py (README).
    /// </summary>
    public static ModeHoldOp Hold { get; } = new(MinJump: 10f, Relative: 1f, Patience: 6);

    private readonly MotionTracker _tracker = new(backend, detectCuts);
    private readonly IPreparedOp _toLab = backend.Prepare(new RgbToLabOp());
    private readonly IPreparedOp _recolor = backend.Prepare(new RecolorOp());
    private readonly IPreparedOp _chroma = backend.Prepare(new SliceChannelsOp(1, 2));
    private readonly IPreparedOp _heldChroma = backend.Prepare(new SliceChannelsOp(0, 2));
    private readonly IPreparedOp _join = backend.Prepare(new ConcatOp());
    private readonly IPreparedOp _warp = backend.Prepare(new WarpOp());
    private readonly IPreparedOp _hold = backend.Prepare(Hold);
    // The state: the held a, b and each pixel's count of frames held (ModeHoldOp's layout).
    private Tensor? _state;

    /// <summary>Whether frames of this size can be followed: the optical flow needs 16×16 pixels.</summary>
    public static bool CanFollow(Shape frame)
    {
        int smallest = OpticalFlowOp.PatchSize << OpticalFlowOp.Medium.FinestScale;
        return frame.H >= smallest && frame.W >= smallest;
    }

    /// <summary>
    /// The next pair of the shot: the input frame (1, 1|3, H, W) and its processed frame (1, 3, H, W),
    /// both in [0, 1] and of a size <see cref="CanFollow"/>; returns the processed frame with its modes
    /// held, on the backend, for the caller to dispose. The first frame and a frame after a cut come
    /// back as they are and start the state afresh.
    /// </summary>
    public Tensor Next(Tensor input, Tensor processed)
    {
        using var rgb = RgbFrame.On(backend, processed);
        using var inputRgb = RgbFrame.On(backend, input);
        using var motion = _tracker.Next(inputRgb);
        using var lab = _toLab.Run(rgb);
        using var ab = _chroma.Run(lab);
        // The tracker gives motion only from a previous frame of this size, whose state is the one kept.
        var previous = _state;
        if (motion is null || previous is null)
        {
            using var count = backend.Zeros(new Shape(1, 1, ab.Shape.H, ab.Shape.W));
            _state = _join.Run(ab, count);
        }
        else
        {
            using var warped = _warp.Run(previous, motion.Back);
            _state = _hold.Run(ab, warped, motion.Confidence);
        }
        previous?.Dispose();
        using var held = _heldChroma.Run(_state);
        return _recolor.Run(rgb, held);
    }

    /// <summary>Frees the prepared ops, the tracker and the state (device memory on a GPU).</summary>
    public void Dispose()
    {
        _state?.Dispose();
        _tracker.Dispose();
        foreach (var op in new[] { _toLab, _recolor, _chroma, _heldChroma, _join, _warp, _hold }) op.Dispose();
    }
}
