using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;

namespace Reel.Engine.Temporal;

/// <summary>
/// The motion of a shot, frame by frame: DIS flow (medium preset) of the input's 8-bit luma from
/// each frame to the previous one and back, and the forward–backward check between them, all on the
/// backend (the luma too, and the cut detector's thumbnail: a frame on a GPU stays there). Only the
/// previous frame's luma is kept. A scene cut (decided as the prior's shots are, by
/// <see cref="ShotSplitter"/>) or the first frame gives no motion: nothing to follow. Frames that
/// come cut into shots already (a restore's) skip the detector: its thumbnail would be read on the
/// host at every frame, waiting for the device to finish the frame's denoising.
/// </summary>
public sealed class MotionTracker(IBackend backend, bool detectCuts = true) : IDisposable
{
    private readonly IPreparedOp _flow = backend.Prepare(OpticalFlowOp.Medium);
    private readonly IPreparedOp _check = backend.Prepare(new FlowCheckOp());
    private readonly IPreparedOp _luma = backend.Prepare(new Luma8Op());
    private readonly ShotSplitter? _cuts = detectCuts ? new(backend) : null;
    private Tensor? _previous;

    /// <summary>The next input frame (1, 3, H, W) in [0, 1]; null at the first frame and at a scene cut. The caller disposes the motion.</summary>
    public Motion? Next(Tensor rgb)
    {
        int smallest = OpticalFlowOp.PatchSize << OpticalFlowOp.Medium.FinestScale;
        if (rgb.Shape.H < smallest || rgb.Shape.W < smallest)
            throw new ReelException($"the flow-guided temporal stage needs frames of at least {smallest}×{smallest} pixels, got {rgb.Shape.W}×{rgb.Shape.H}");
        bool cut = _cuts?.StartsShot(rgb) ?? false;
        var gray = _luma.Run(rgb);
        using var previous = _previous;
        _previous = gray;
        if (previous is null || cut || !previous.Shape.Equals(gray.Shape)) return null;
        var back = _flow.Run(gray, previous);
        using var forward = _flow.Run(previous, gray);
        return new Motion(back, _check.Run(back, forward));
    }

    /// <summary>Frees the prepared ops and the luma kept (device memory on a GPU).</summary>
    public void Dispose()
    {
        _previous?.Dispose();
        _flow.Dispose();
        _check.Dispose();
        _luma.Dispose();
    }
}
