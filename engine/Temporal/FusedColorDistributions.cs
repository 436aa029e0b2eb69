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

    /// <summary>This frame's logits (1, Q, h, w) → fused log-probabilities of the same shape, following <paramref name="motion"/> (at the frame's size).</summary>
    public Tensor Fuse(Tensor logits, Motion? motion)
    {
        var s = logits.Shape;
        Tensor previous, confidence;
        if (motion is null || _previous is null || !_previous.Shape.Equals(s))
        {
            previous = logits;
            confidence = new Tensor(new Shape(1, 1, s.H, s.W));
        }
        else
        {
            var (resize, scale) = ToGrid(s, motion.Back.Shape);
            var flow = scale.Run(resize.Run(motion.Back));
            confidence = resize.Run(motion.Confidence);
            previous = _warp.Run(_previous, flow);
        }
        _previous = _fuse.Run(logits, previous, confidence);
        return _previous;
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

    /// <summary>Frees the prepared ops (their parameters are device memory on a GPU).</summary>
    public void Dispose()
    {
        DisposeToGrid();
        _fuse.Dispose();
        _warp.Dispose();
    }
}
