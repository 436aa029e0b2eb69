using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Models;

/// <summary>
/// How the prior's chroma mode codes frames, on one backend: <see cref="Encode"/> gives the net's view
/// of a frame, normalized Lab (L/100, a/256, b/256) downscaled by the chroma scale;
/// <see cref="Decode"/> turns the net's answer back into sRGB, its a, b upsampled to the processed
/// frame's size and joined with that frame's own full-resolution L; <see cref="Measure"/> and
/// <see cref="MeasureAnswer"/> give the chroma match its statistics. The coding's affine steps are
/// prepared once (their constants uploaded once on a GPU) and freed with this object; a measurement's
/// centring, and the match's map when it changes (once a shot), are prepared for their use.
/// </summary>
internal sealed class PriorChroma : IDisposable
{
    /// <summary>Lab a and b span about 256 units.</summary>
    private const float AbRange = 256f;

    private readonly IBackend _backend;
    private readonly int _scale;
    private readonly IPreparedOp _normalize;
    private readonly IPreparedOp? _centre;
    private (ChromaMatch Match, IPreparedOp Op) _denormalize;
    private readonly IPreparedOp _ab;
    private readonly IPreparedOp _gram;
    private readonly IPreparedOp _sums;

    /// <param name="scale">The net works at 1/scale of the frame size (1: full size).</param>
    public PriorChroma(int scale, IBackend backend)
    {
        (_scale, _backend) = (scale, backend);
        var scale3 = new Tensor(new Shape(3), new[] { 1 / 100f, 1 / AbRange, 1 / AbRange });
        // The net sees a and b centred on gray's 0, not on ½: a fresh net answers near 0, and with ½
        // the IRT's main head, trained only where it wins, still sat 5–7 units of a and b under the
        // clip's chroma after 50 epochs, a colour cast (bench/temporal_variants.py). The bicubic
        // resize clamps to [0, 1], so a downscaled frame is coded around ½ and centred after it.
        float offset = scale == 1 ? 0f : 0.5f;
        _normalize = backend.Prepare(new AffineOp(3), scale3, new Tensor(new Shape(3), new[] { 0f, offset, offset }));
        _centre = scale == 1 ? null
            : backend.Prepare(new AffineOp(3), new Tensor(new Shape(3), new[] { 1f, 1f, 1f }), new Tensor(new Shape(3), new[] { 0f, -offset, -offset }));
        _denormalize = (ChromaMatch.None, Denormalizer(ChromaMatch.None));
        _ab = backend.Prepare(new SliceChannelsOp(1, 2));
        // A bias gradient's per-channel sum gives Σ a, Σ b; a 1×1 convolution's weight gradient, the frame's
        // a, b less their mean as both its input and its output's gradient, is their Gram matrix, whose
        // diagonal is the spread's Σ (a − ā)² + (b − b̄)². On a GPU it runs at the backend's convolution
        // precision (TF32 by default), so the match's last bits differ from the CPU's.
        _gram = backend.Prepare(new Conv2dBackwardWeightOp(new Conv2dOp(2, 2, 1, 1, HasBias: false)));
        _sums = backend.Prepare(new Conv2dBackwardBiasOp(2));
    }

    private IPreparedOp Denormalizer(ChromaMatch m) =>
        _backend.Prepare(new AffineOp(2), new Tensor(new Shape(2), new[] { AbRange * m.Gain, AbRange * m.Gain }), new Tensor(new Shape(2), new[] { m.ShiftA, m.ShiftB }));

    /// <summary>
    /// The mean and spread of a chroma tensor (1, 2, h, w) that holds Lab a, b divided by <paramref name="unit"/>,
    /// in Lab units, reduced on the backend. The spread is summed about the mean, not taken as Σ a² + b² less
    /// the mean's square: that difference of two large sums, at a GPU's TF32, would be noise on a faint shot
    /// with a colour cast.
    /// </summary>
    private FrameChroma Moments(Tensor ab, float unit)
    {
        long pixels = (long)ab.Shape.H * ab.Shape.W;
        double meanA, meanB;
        using (var sums = _sums.Run(ab))
        {
            var s = sums.ToHost().Data;
            (meanA, meanB) = ((double)s[0] / pixels, (double)s[1] / pixels);
        }
        using var centre = _backend.Prepare(new AffineOp(2), new Tensor(new Shape(2), new[] { 1f, 1f }), new Tensor(new Shape(2), new[] { (float)-meanA, (float)-meanB }));
        using var centred = centre.Run(ab);
        using var gram = _gram.Run(centred, centred);
        var g = gram.ToHost().Data;
        return new FrameChroma(meanA * unit, meanB * unit, Math.Sqrt(((double)g[0] + g[3]) / pixels) * unit);
    }

    /// <summary>A frame's (1, 1|3, H, W) chroma at its size.</summary>
    public FrameChroma Measure(Tensor frame)
    {
        using var rgb = RgbFrame.On(_backend, frame);
        using var lab = _backend.Execute(new RgbToLabOp(), rgb);
        using var ab = _ab.Run(lab);
        return Moments(ab, 1f);
    }

    /// <summary>
    /// The net's answer's (1, 3, h, w) chroma as <see cref="Decode"/> shows it before the match: its a, b upsampled
    /// to the frame's <paramref name="height"/> × <paramref name="width"/>.
    /// </summary>
    public FrameChroma MeasureAnswer(Tensor predicted, int height, int width)
    {
        using var answer = _backend.Import(predicted);
        using var ab = _ab.Run(answer);
        using var up = _backend.Execute(new ResizeBilinearOp(height, width), ab);
        return Moments(up, AbRange);
    }

    /// <summary>A frame (1, 1|3, H, W) as the net sees it in chroma mode, (1, 3, H / scale, W / scale) on the backend (at least 1×1).</summary>
    public Tensor Encode(Tensor frame)
    {
        using var rgb = RgbFrame.On(_backend, frame);
        using var lab = _backend.Execute(new RgbToLabOp(), rgb);
        var normalized = _normalize.Run(lab);
        if (_centre is null) return normalized;
        using (normalized)
        {
            var f = frame.Shape;
            using var small = _backend.Execute(new ResizeBicubicOp(Math.Max(1, f.H / _scale), Math.Max(1, f.W / _scale)), normalized);
            return _centre.Run(small);
        }
    }

    /// <summary>The net's predicted normalized Lab (1, 3, h, w), its a, b mapped by <paramref name="match"/>, with <paramref name="processedFrame"/>'s own L, back to sRGB at that frame's size, on the backend.</summary>
    public Tensor Decode(Tensor predicted, Tensor processedFrame, ChromaMatch match)
    {
        if (match != _denormalize.Match)
        {
            var next = Denormalizer(match);
            _denormalize.Op.Dispose();
            _denormalize = (match, next);
        }
        using var full = _backend.Import(processedFrame);
        using var answer = _backend.Import(predicted);
        using var normalized = _ab.Run(answer);
        using var ab = _denormalize.Op.Run(normalized);
        using var up = _backend.Execute(new ResizeBilinearOp(full.Shape.H, full.Shape.W), ab);
        return _backend.Execute(new RecolorOp(), full, up);
    }

    /// <summary>Frees the prepared steps.</summary>
    public void Dispose()
    {
        _normalize.Dispose();
        _centre?.Dispose();
        _denormalize.Op.Dispose();
        _ab.Dispose();
        _gram.Dispose();
        _sums.Dispose();
    }
}
