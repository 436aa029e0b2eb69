using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;
using Xunit.Abstractions;

namespace Reel.Tests.Temporal;

/// <summary>
/// The flow-guided temporal stage on synthetic clips with a known truth: a coloured texture sliding
/// under a camera, processed frames that flicker around it (unimodal) or jump between two colours
/// (multimodal), a scene cut, and a long run that must not grow memory.
/// </summary>
public class FlowTemporalTests(ITestOutputHelper output)
{
    /// <summary>Frame t of a smooth coloured texture moving 1.3 px right and 0.6 px down per frame (1, 3, H, W).</summary>
    public static Tensor Truth(int t, int w, int h, int scene = 0)
    {
        var f = new Tensor(new Shape(1, 3, h, w));
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            double x = j - 1.3 * t + 17 * scene, y = i - 0.6 * t + 11 * scene;
            double v = 0.5 + 0.22 * Math.Sin(x * 0.21 + scene) * Math.Cos(y * 0.17) + 0.12 * Math.Sin(x * 0.05 + y * 0.07 + 2 * scene);
            double tint = 0.5 + 0.5 * Math.Sin(x * 0.013 + y * 0.02 + scene);
            f.Data[(0 * h + i) * w + j] = (float)Math.Clamp(v * (0.8 + 0.3 * tint), 0, 1);
            f.Data[(1 * h + i) * w + j] = (float)Math.Clamp(v * (1.0 - 0.1 * tint), 0, 1);
            f.Data[(2 * h + i) * w + j] = (float)Math.Clamp(v * (0.7 + 0.2 * (1 - tint)), 0, 1);
        }
        return Quantize(f);
    }

    public static Tensor Gray(Tensor rgb)
    {
        int plane = rgb.Shape.H * rgb.Shape.W;
        var g = new Tensor(rgb.Shape);
        for (int p = 0; p < plane; p++)
        {
            float y = 0.299f * rgb.Data[p] + 0.587f * rgb.Data[plane + p] + 0.114f * rgb.Data[2 * plane + p];
            for (int c = 0; c < 3; c++) g.Data[c * plane + p] = y;
        }
        return Quantize(g);
    }

    private static Tensor Quantize(Tensor t)
    {
        for (int i = 0; i < t.Length; i++) t.Data[i] = MathF.Round(Math.Clamp(t.Data[i], 0, 1) * 255) / 255;
        return t;
    }

    /// <summary>The truth with a per-frame colour cast of about ±0.05 per channel and a smooth blotch that wanders: flicker around the truth.</summary>
    public static Tensor Unimodal(Tensor truth, int t, Random rng)
    {
        var p = truth.Clone();
        int h = truth.Shape.H, w = truth.Shape.W;
        double cx = rng.NextDouble() * w, cy = rng.NextDouble() * h;
        for (int c = 0; c < 3; c++)
        {
            double cast = (rng.NextDouble() - 0.5) * 0.1, blotch = (rng.NextDouble() - 0.5) * 0.12;
            for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
            {
                double r2 = ((j - cx) * (j - cx) + (i - cy) * (i - cy)) / (0.1 * w * w);
                p.Data[(c * h + i) * w + j] += (float)(cast + blotch * Math.Exp(-r2));
            }
        }
        return Quantize(p);
    }

    [Fact]
    public void UnimodalFlickerEndsCloserToTheTruthThanTheProcessedFrames()
    {
        const int w = 96, h = 64, frames = 14;
        var rng = new Random(20);
        var stage = new FlowTemporal(new FlowTemporalOptions(), FastBackend.Instance);
        double mseProcessed = 0, mseOutput = 0;
        var scorer = new TemporalScorer(FastBackend.Instance);
        for (int t = 0; t < frames; t++)
        {
            var truth = Truth(t, w, h);
            var input = Gray(truth);
            var processed = Unimodal(truth, t, rng);
            var o = stage.Next(input, processed);
            mseProcessed += Mse(processed, truth);
            mseOutput += Mse(o, truth);
            scorer.Add(input, o, processed);
        }
        double psnrProcessed = 10 * Math.Log10(frames / mseProcessed), psnrOutput = 10 * Math.Log10(frames / mseOutput);
        var report = scorer.Report();
        output.WriteLine($"PSNR to truth: processed {psnrProcessed:F2} dB, flow {psnrOutput:F2} dB; warp {report.WarpError:F4} (floor {report.WarpFloor:F4})");
        Assert.True(psnrOutput >= psnrProcessed - 0.5, $"flow {psnrOutput:F2} dB vs processed {psnrProcessed:F2} dB");
    }

    [Fact]
    public void AfterASceneCutTheOutputIsTheProcessedFrame()
    {
        const int w = 80, h = 48;
        var rng = new Random(3);
        var stage = new FlowTemporal(new FlowTemporalOptions(), FastBackend.Instance);
        for (int t = 0; t < 8; t++)
        {
            int scene = t < 5 ? 0 : 1;
            var truth = scene == 0 ? Truth(t, w, h) : Inverted(Truth(t, w, h, scene));
            var processed = Unimodal(truth, t, rng);
            var o = stage.Next(Gray(truth), processed);
            if (t == 0 || t == 5) Assert.Equal(processed.Data, o.Data);
            else Assert.NotEqual(processed.Data, o.Data);
        }
    }

    private static Tensor Inverted(Tensor t)
    {
        for (int i = 0; i < t.Length; i++) t.Data[i] = 1 - t.Data[i];
        return t;
    }

    private static double Mse(Tensor a, Tensor b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a.Data[i] - b.Data[i]) * (double)(a.Data[i] - b.Data[i]);
        return s / a.Length;
    }
}
