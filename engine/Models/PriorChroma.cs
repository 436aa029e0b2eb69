using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Models;

/// <summary>
/// How the prior's chroma mode codes frames, on one backend: <see cref="Encode"/> gives the net's view
/// of a frame, normalized Lab (L/100, a/256, b/256) downscaled by the chroma scale;
/// <see cref="Decode"/> turns the net's answer back into sRGB, its a, b upsampled to the processed
/// frame's size and joined with that frame's own full-resolution L; <see cref="Measure"/> and
/// <see cref="MeasureAnswer"/> give the chroma match its statistics, reduced on the backend and read
/// when the caller waits for them (on a GPU, after it has queued more work). The coding's affine steps
/// are prepared once (their constants uploaded once on a GPU) and freed with this object; the match's
/// map, when it changes (once a shot), is prepared for its use.
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
    private readonly IPreparedOp _moments;

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
        _moments = backend.Prepare(new ChannelMomentsOp());
    }

    private IPreparedOp Denormalizer(ChromaMatch m) =>
        _backend.Prepare(new AffineOp(2), new Tensor(new Shape(2), new[] { AbRange * m.Gain, AbRange * m.Gain }), new Tensor(new Shape(2), new[] { m.ShiftA, m.ShiftB }));

    /// <summary>
    /// The mean and spread of a chroma tensor (1, 2, h, w) that holds Lab a, b divided by <paramref name="unit"/>,
    /// in Lab units: reduced on the backend in double, the spread summed about the mean (<see cref="ChannelMomentsOp"/>),
    /// and read when the caller waits for it.
    /// </summary>
    private PendingChroma Moments(Tensor ab, float unit)
    {
        using var moments = _moments.Run(ab);
        return new PendingChroma(_backend.ReadTensorLater(moments), unit);
    }

    /// <summary>A frame's (1, 1|3, H, W) chroma at its size.</summary>
    public PendingChroma Measure(Tensor frame)
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
    public PendingChroma MeasureAnswer(Tensor predicted, int height, int width)
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
        _moments.Dispose();
    }
}

/// <summary>A frame's chroma (<see cref="PriorChroma.Measure"/>) on its way to the host: waiting for it waits for its read only.</summary>
internal sealed class PendingChroma(PendingTensor moments, float unit) : IDisposable
{
    /// <summary>The frame's chroma, waiting for the read first.</summary>
    public FrameChroma Wait()
    {
        // (2, 2): the means of a and b, then their mean squared deviations.
        var m = moments.Wait().Data;
        return new FrameChroma(m[0] * unit, m[1] * unit, Math.Sqrt((double)m[2] + m[3]) * unit);
    }

    /// <summary>Gives up the read if it was not waited for.</summary>
    public void Dispose() => moments.Dispose();
}
