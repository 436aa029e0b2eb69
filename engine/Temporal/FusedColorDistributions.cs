using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Temporal;

/// <summary>
/// Colorizer-aware temporal consistency: the ECCV16 colorizer's 313-bin distributions of each frame
/// are fused with the previous fused distribution carried along the flow (<see cref="FuseDistributionsOp"/>)
/// before the annealed mean. A colour that wins in most frames keeps most of the mass, and decoding the
/// fused distribution at a low temperature picks it instead of the average of the modes. The
/// distributions live on the net's output grid (64×64 for the 256×256 input the frame is resized to),
/// so the flow and its confidence are resized to that grid and the displacements rescaled.
/// </summary>
public sealed class FusedColorDistributions(FlowTemporalOptions options, IBackend backend) : IDisposable
{
    private readonly IPreparedOp _fuse = backend.Prepare(new FuseDistributionsOp(options.FusionKeep, options.FusionTemperature));
    private readonly IPreparedOp _warp = backend.Prepare(new WarpOp());
    private Tensor? _previous;
    // The flow's way onto the grid: resized, and its displacements scaled by grid ÷ frame. Both
    // sizes are fixed within a shot, so these are prepared once, not per frame.
    private (Shape Grid, Shape Frame, IPreparedOp Resize, IPreparedOp Scale)? _toGrid;

    /// <summary>
    /// This frame's logits (1, Q, h, w) → fused log-probabilities of the same shape, following
    /// <paramref name="motion"/> (at the frame's size). The result is kept for the next frame and
    /// freed by it: the caller reads it before then and does not dispose it.
    /// </summary>
    public Tensor Fuse(Tensor logits, Motion? motion)
    {
        var s = logits.Shape;
        Tensor fused;
        if (motion is null || _previous is null || !_previous.Shape.Equals(s))
        {
            using var none = backend.Zeros(new Shape(1, 1, s.H, s.W));
            fused = _fuse.Run(logits, logits, none);
        }
        else
        {
            var (resize, scale) = ToGrid(s, motion.Back.Shape);
            using var resized = resize.Run(motion.Back);
            using var flow = scale.Run(resized);
            using var confidence = resize.Run(motion.Confidence);
            using var previous = _warp.Run(_previous, flow);
            fused = _fuse.Run(logits, previous, confidence);
        }
        _previous?.Dispose();
        return _previous = fused;
    }

    private (IPreparedOp Resize, IPreparedOp Scale) ToGrid(Shape grid, Shape frame)
    {
        if (_toGrid is { } known && known.Grid.Equals(grid) && known.Frame.Equals(frame)) return (known.Resize, known.Scale);
        DisposeToGrid();
        var factors = new Tensor(new Shape(2), new[] { (float)grid.W / frame.W, (float)grid.H / frame.H });
        _toGrid = (grid, frame, backend.Prepare(new ResizeBilinearOp(grid.H, grid.W)), backend.Prepare(new AffineOp(2), factors, new Tensor(new Shape(2))));
        return (_toGrid.Value.Resize, _toGrid.Value.Scale);
    }

    private void DisposeToGrid()
    {
        _toGrid?.Resize.Dispose();
        _toGrid?.Scale.Dispose();
        _toGrid = null;
    }

    /// <summary>Frees the prepared ops and the last fused distribution (device memory on a GPU).</summary>
    public void Dispose()
    {
        _previous?.Dispose();
        DisposeToGrid();
        _fuse.Dispose();
        _warp.Dispose();
    }
}
