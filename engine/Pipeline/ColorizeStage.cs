using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Colorizes one frame the way the official ECCV16 demo does: the RGB frame is resized to
/// 256×256 (antialiased bicubic, as the demo's PIL resize) and its L fed to the net; the
/// predicted ab is resized bilinearly back to the frame's size and joined with the frame's own
/// full-resolution L; Lab → sRGB. A gray frame is read as RGB with equal channels.
/// </summary>
public sealed class ColorizeStage
{
    /// <summary>The side of the square the net sees, as the ECCV16 demo resizes to.</summary>
    private const int NetSize = 256;

    /// <summary>
    /// The default softmax temperature. T = 1 reproduces the released PyTorch port's forward
    /// exactly; its weights came from the Caffe model whose 1/T = 2.606 scale may already be folded
    /// in (richzhang/colorization issue #93), so a further 0.38 could sharpen twice.
    /// </summary>
    public const float DefaultTemperature = 1f;

    private readonly Colorizer _net;
    private readonly IBackend _backend;

    /// <summary>A stage that runs <paramref name="net"/> and every resize and colour conversion around it on <paramref name="backend"/>, which should be the backend the net's weights were prepared on.</summary>
    public ColorizeStage(Colorizer net, IBackend backend)
    {
        _net = net;
        _backend = backend;
    }

    /// <summary>
    /// (1, 3, H, W) sRGB in [0, 1] (or a gray (1, 1, H, W) frame, read as RGB with equal channels) → (1, 3, H, W) colorized sRGB, every step on the stage's backend:
    /// the result lives there (device memory on a GPU; the caller disposes it). <paramref name="logits"/>
    /// may replace the net's logits before the annealed mean.
    /// </summary>
    public Tensor Colorize(Tensor rgb, float temperature = DefaultTemperature, Func<Tensor, Tensor>? logits = null)
    {
        var s = rgb.Shape;
        if (s.Rank != 4 || s.N != 1 || s.C is not (1 or 3)) throw new ArgumentException($"expected one gray or RGB frame (1, 1|3, H, W), got {s}");
        // At full size only the frame, the upsampled a, b and the result: a gray frame becomes three
        // channels after its resize (the same values), and the frame's L is taken as it is recoloured.
        using var frame = _backend.Import(rgb);
        using var resized = _backend.Execute(new ResizeBicubicOp(NetSize, NetSize), frame);
        using var small = RgbFrame.On(_backend, resized);
        using var smallLab = _backend.Execute(new RgbToLabOp(), small);
        using var l = _backend.Execute(new SliceChannelsOp(0, 1), smallLab);
        using var ab = _net.Forward(l, temperature, logits);
        using var abFull = _backend.Execute(new ResizeBilinearOp(s.H, s.W), ab);
        return _backend.Execute(new RecolorOp(), frame, abFull);
    }
}
