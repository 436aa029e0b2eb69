using System.Diagnostics;
using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Metrics;

/// <summary>
/// The denoising protocol of DESIGN §6: N(0, σ/255) noise added in float to the [0, 1] image
/// with no clipping or rounding, the output clamped to [0, 1], PSNR and SSIM on the float result.
/// Images are taken in name order and one seeded noise stream runs across them.
/// </summary>
public static class DenoiseEvaluation
{
    /// <summary>Scores <paramref name="model"/> on every image of <paramref name="dataset"/> at noise level <paramref name="sigma"/> (of 255), telling <paramref name="onImage"/> each score as it comes.</summary>
    public static DenoiseReport Run(DnCnn model, string dataset, double sigma, int seed, Action<ImageScore>? onImage = null)
    {
        if (sigma < 0 || double.IsNaN(sigma)) throw new UsageException($"noise level σ must be ≥ 0, got {sigma}");
        var format = model.Channels == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24;
        var noise = new StandardNormal(seed);
        var scores = new List<ImageScore>();
        var total = Stopwatch.StartNew();
        foreach (var file in Pipeline.FrameFolder.List(dataset, "dataset folder"))
        {
            var clean = ImageIO.Read(file, format);
            // SSIM's 11×11 window: a smaller image was an internal error (ArgumentException) after the images before it were scored.
            if (clean.Shape.H < ImageMetrics.SsimWindow || clean.Shape.W < ImageMetrics.SsimWindow)
                throw new ReelException($"{file} is {clean.Shape.W}×{clean.Shape.H}: SSIM needs images of at least {ImageMetrics.SsimWindow}×{ImageMetrics.SsimWindow}; leave it out of the dataset");
            var noisy = AddNoise(clean, sigma / 255.0, noise);
            var sw = Stopwatch.StartNew();
            var denoised = model.Backend.Execute(new ClampOp(0f, 1f), model.Forward(noisy));
            sw.Stop();
            var score = new ImageScore(Path.GetFileName(file), clean.Shape.W, clean.Shape.H,
                ImageMetrics.Psnr(denoised, clean), ImageMetrics.Ssim(denoised, clean), sw.Elapsed.TotalMilliseconds);
            scores.Add(score);
            onImage?.Invoke(score);
        }
        return new DenoiseReport(scores, scores.Average(s => s.Psnr), scores.Average(s => s.Ssim), total.Elapsed.TotalSeconds);
    }

    /// <summary>A copy of <paramref name="clean"/> with <paramref name="std"/>·N(0, 1) added to every value, not clipped.</summary>
    private static Tensor AddNoise(Tensor clean, double std, StandardNormal noise)
    {
        var t = clean.Clone();
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(t.Data[i] + std * noise.Next());
        return t;
    }
}
