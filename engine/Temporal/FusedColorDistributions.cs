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
public sealed class FusedColorDistributions(FlowTemporalOptions options, IBackend backend)
{
    private readonly IPreparedOp _fuse = backend.Prepare(new FuseDistributionsOp(options.FusionKeep, options.FusionTemperature));
    private readonly IPreparedOp _warp = backend.Prepare(new WarpOp());
    private Tensor? _previous;

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
            var frame = motion.Back.Shape;
            var resize = backend.Prepare(new ResizeBilinearOp(s.H, s.W));
            var scale = new Tensor(new Shape(2), new[] { (float)s.W / frame.W, (float)s.H / frame.H });
            var flow = backend.Prepare(new AffineOp(2), scale, new Tensor(new Shape(2))).Run(resize.Run(motion.Back));
            confidence = resize.Run(motion.Confidence);
            previous = _warp.Run(_previous, flow);
        }
        _previous = _fuse.Run(logits, previous, confidence);
        return _previous;
    }
}
