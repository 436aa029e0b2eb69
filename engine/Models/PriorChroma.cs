using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Models;

/// <summary>
/// How the prior's chroma mode codes frames, on one backend: <see cref="Encode"/> gives the net's view
/// of a frame, normalized Lab (L/100, a/256 + ½, b/256 + ½) downscaled by the chroma scale;
/// <see cref="Decode"/> turns the net's answer back into sRGB, its a, b upsampled to the processed
/// frame's size and joined with that frame's own full-resolution L. The affine steps are prepared
/// once (their constants uploaded once on a GPU) and freed with this object.
/// </summary>
internal sealed class PriorChroma : IDisposable
{
    /// <summary>Lab a and b span about 256 units.</summary>
    private const float AbRange = 256f;

    private readonly IBackend _backend;
    private readonly int _scale;
    private readonly IPreparedOp _normalize;
    private readonly IPreparedOp _denormalize;

    /// <param name="scale">The net works at 1/scale of the frame size (1: full size).</param>
    public PriorChroma(int scale, IBackend backend)
    {
        (_scale, _backend) = (scale, backend);
        var scale3 = new Tensor(new Shape(3), new[] { 1 / 100f, 1 / AbRange, 1 / AbRange });
        var shift3 = new Tensor(new Shape(3), new[] { 0f, 0.5f, 0.5f });
        _normalize = backend.Prepare(new AffineOp(3), scale3, shift3);
        var scale2 = new Tensor(new Shape(2), new[] { AbRange, AbRange });
        var shift2 = new Tensor(new Shape(2), new[] { -AbRange / 2, -AbRange / 2 });
        // (v − ½)·256 as v·256 − 128: both exact scalings of the same rounded difference.
        _denormalize = backend.Prepare(new AffineOp(2), scale2, shift2);
    }

    /// <summary>A frame (1, 1|3, H, W) as the net sees it in chroma mode, (1, 3, H / scale, W / scale) on the backend (at least 1×1).</summary>
    public Tensor Encode(Tensor frame)
    {
        using var rgb = RgbFrame.On(_backend, frame);
        using var lab = _backend.Execute(new RgbToLabOp(), rgb);
        var normalized = _normalize.Run(lab);
        if (_scale == 1) return normalized;
        using (normalized)
        {
            var f = frame.Shape;
            return _backend.Execute(new ResizeBicubicOp(Math.Max(1, f.H / _scale), Math.Max(1, f.W / _scale)), normalized);
        }
    }

    /// <summary>The net's predicted normalized Lab (1, 3, h, w) with <paramref name="processedFrame"/>'s own L, back to sRGB at that frame's size, on the backend.</summary>
    public Tensor Decode(Tensor predicted, Tensor processedFrame)
    {
        using var full = RgbFrame.On(_backend, processedFrame);
        using var lab = _backend.Execute(new RgbToLabOp(), full);
        using var normalized = _backend.Execute(new SliceChannelsOp(1, 2), predicted);
        using var ab = _denormalize.Run(normalized);
        using var up = _backend.Execute(new ResizeBilinearOp(full.Shape.H, full.Shape.W), ab);
        using var l = _backend.Execute(new SliceChannelsOp(0, 1), lab);
        using var joined = _backend.Execute(new ConcatOp(), l, up);
        return _backend.Execute(new LabToRgbOp(), joined);
    }

    /// <summary>Frees the prepared affine steps.</summary>
    public void Dispose()
    {
        _normalize.Dispose();
        _denormalize.Dispose();
    }
}
