using System.Globalization;
using Reel.Engine.Models;

namespace Reel.Engine.Pipeline;

/// <summary>
/// How a restore spends its memory budget (<c>--memory-mb</c>), decided before any work starts.
/// The budget covers what grows with the frame size and the shot length: the networks' working
/// memory for one frame (activations, measured on this code at 128×96 to 512×384 and rounded up:
/// DnCNN ≈ 14 bytes per pixel per feature channel, 0.9 KiB at 64; one U-Net training step ≈ 5.3 KiB
/// per training pixel at width 32, in proportion to the width; the colorizer's full-size steps (the
/// frame's resize, the upsampled a, b, the recoloured frame and its way to the encoder) ≈ 130 bytes
/// per pixel, measured as the growth of a restore's peak resident memory with the colorizer less
/// without it from 960×540 to 1080p and to 4K: 132 and 128 bytes, 270 and 249 before
/// <see cref="Ops.RecolorOp"/>; the flow stage ≈ 0.33 KiB per pixel, measured as the peak
/// resident memory of a flow restore less a restore without a temporal stage at 428×240 and
/// 856×480), the decode and encode queues, and, with what is left, the
/// frames waiting for their prior (beyond it they wait on disk). A frame that alone needs more
/// than the budget, or whose tensors would not fit a .NET array, is refused in one line; but first
/// DnCNN's share is cut to what is left, its frames going through in tiles (<see cref="TileGrid"/>):
/// the same result for a little more work.
/// Not covered (fixed, whatever the clip): the runtime, the networks' weights and prepared
/// kernels (the colorizer's are about 0.7 GB), and per shot the prior's weights, gradients and
/// Adam state (<see cref="PriorFixedBytes"/>).
/// </summary>
public sealed record MemoryPlan(long BudgetBytes, long WorkingBytes, long DenoiseTilePixels = long.MaxValue)
{
    private const long DnCnnBytesPerPixelPerChannel = 18;
    private const long ColorizeBytesPerPixel = 160;
    private const long TrainingBytesPerPixelAtWidth32 = 6656;
    private const long FlowBytesPerPixel = 352;
    /// <summary>
    /// Decoded frames ahead with their float tensors (the decoding thread converts them: up to six RGB
    /// frames of 15 bytes per pixel), frames on their way to ffmpeg, and the host copies of the frame
    /// in flight and the one handed on.
    /// </summary>
    private const long QueueBytesPerPixel = 192;

    /// <summary>What is left for frames waiting for their prior; may be 0 (then they all wait on disk).</summary>
    public long StoreBytes => Math.Max(0, BudgetBytes - WorkingBytes);

    /// <summary>The plan for <paramref name="width"/>×<paramref name="height"/> frames, or a <see cref="ReelException"/> saying why none fits.</summary>
    public static MemoryPlan For(int width, int height, RestoreOptions options)
    {
        long pixels = (long)width * height;
        long trainPixels = 0;
        var prior = options.Prior;
        if (options.TrainsPrior)
        {
            int scale = prior.Mode == StabilizeMode.Chroma ? Math.Max(1, prior.ChromaScale) : 1;
            trainPixels = Padded(Math.Max(1, width / scale)) * Padded(Math.Max(1, height / scale));
        }
        long queue = QueueBytesPerPixel * pixels;
        long colorize = options.Colorizer is null ? 0 : ColorizeBytesPerPixel * pixels;
        // The flow stage runs on each frame after the networks, its state kept between frames.
        long flow = options.FollowsFlow ? FlowBytesPerPixel * pixels : 0;
        var budget = options.MemoryBudgetBytes;
        var (denoise, tilePixels, featureMap) = Denoising(options.Denoiser, width, height, budget - queue - colorize - flow);
        // The largest single tensor: a frame, a DnCNN feature map, or the U-Net's first decoder input.
        long largest = Math.Max(3 * pixels, Math.Max(featureMap, 2L * prior.Width * trainPixels));
        if (largest > Array.MaxLength)
            throw new ReelException($"{width}×{height} frames are too large for reel: one of their tensors would hold {largest:N0} values, " +
                                    $"more than the {Array.MaxLength:N0} an array can");
        // Chroma mode's mode hold follows the motion at full size before the shot trains: the flow stage's memory, at another time.
        long hold = options.TrainsPrior && prior.Mode == StabilizeMode.Chroma && prior.HoldModes ? FlowBytesPerPixel * pixels : 0;
        long train = Math.Max(TrainingBytesPerPixelAtWidth32 * prior.Width / 32 * trainPixels, hold);
        long working = queue + Math.Max(denoise + colorize + flow, train);
        if (working > budget)
            throw new ReelException(string.Create(CultureInfo.InvariantCulture,
                $"{width}×{height} frames need about {Mib(working)} MiB of working memory ({Largest(queue, denoise, colorize, flow, train)}), " +
                $"more than the {Mib(budget)} MiB of --memory-mb; raise it to at least {Mib(working) + 1}"));
        return new MemoryPlan(budget, working, tilePixels);
    }

    /// <summary>
    /// DnCNN's working memory, its windows' pixels (<see cref="long.MaxValue"/>: the whole frame) and its
    /// largest feature map: the whole frame when its activations fit <paramref name="room"/> (and an
    /// array), else the largest windows that do, and no smaller than tiling allows (which the caller
    /// then refuses, naming that as the need).
    /// </summary>
    private static (long Bytes, long TilePixels, long FeatureMap) Denoising(DnCnn? net, int width, int height, long room)
    {
        if (net is null) return (0, long.MaxValue, 0);
        long perPixel = DnCnnBytesPerPixelPerChannel * net.Width;
        long pixels = (long)width * height;
        long fits = Math.Min(Math.Max(0, room) / perPixel, Array.MaxLength / net.Width);
        if (pixels <= fits) return (perPixel * pixels, long.MaxValue, net.Width * pixels);
        long side = TileGrid.MinimumSide(net.Depth);
        long tile = Math.Max(fits, Math.Min(width, side) * Math.Min(height, side));
        var grid = net.Tiles(height, width, tile);
        long window = (long)grid.WindowHeight * grid.WindowWidth;
        return (perPixel * window, tile, net.Width * window);
    }

    /// <summary>
    /// Memory the prior holds per shot whatever the frame size: its weights, their gradients,
    /// Adam's two moments and the packed copies the convolutions use (measured: ≈ 220 MB at width 32).
    /// </summary>
    public static long PriorFixedBytes(StabilizeOptions prior) =>
        8 * sizeof(float) * VideoPrior.Layout(prior.Width, prior.Irt ? 6 : 3).Sum(p => p.Shape.ElementCount);

    private static long Padded(int size) => (size + VideoPrior.SizeMultiple - 1) / VideoPrior.SizeMultiple * (long)VideoPrior.SizeMultiple;

    private static long Mib(long bytes) => (bytes + (1 << 20) - 1) >> 20;

    /// <summary>Which stage needs the most (the stages take turns, so the largest sets the need).</summary>
    private static string Largest(long queue, long denoise, long colorize, long flow, long train)
    {
        // DnCNN in tiles can take little, so the queues of whole frames may be what does not fit.
        if (queue > Math.Max(train, denoise + colorize + flow)) return $"most for the frames queued between decoding, the stages and encoding: {Mib(queue)} MiB";
        if (train > denoise + colorize + flow) return $"most for training the prior: {Mib(train)} MiB";
        var stages = new[] { (denoise, "denoising"), (colorize, "colorizing"), (flow, "the flow stage") }.Where(s => s.Item1 > 0).Select(s => s.Item2).ToArray();
        return $"most for {(stages.Length == 1 ? stages[0] : string.Join(", ", stages[..^1]) + " and " + stages[^1])}: {Mib(denoise + colorize + flow)} MiB";
    }
}
