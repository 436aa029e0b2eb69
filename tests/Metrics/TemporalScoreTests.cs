using System.Diagnostics;
using System.Text.Json;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Metrics;

/// <summary>`reel eval temporal` against bench/temporal_score.py (OpenCV) on a real clip, and its edge cases.</summary>
public class TemporalScoreTests(ITestOutputHelper output)
{
    /// <summary>The contract's seven keys, then the scores as the papers compute them.</summary>
    private static readonly string[] Keys = { "warp_error", "warp_floor", "cdc", "colorfulness", "detail", "psnr_processed", "frames", "warp_error_lai", "warp_floor_lai", "cdc_256" };

    /// <summary>
    /// The first frames of bike-packing (input; the flickering processed frames as the output; the input
    /// as "processed" so the PSNR is finite), decoded once to PNG so both sides score the same pixels
    /// (ffmpeg's and libjpeg's JPEG decoders differ by up to 31 levels at chroma edges).
    /// </summary>
    [Fact]
    public void EveryMetricIsWithinFivePercentOfTheOpenCvScriptOnBikePacking()
    {
        var dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "input"), processed = Path.Combine(dir, "processed");
        Directory.CreateDirectory(input);
        Directory.CreateDirectory(processed);
        foreach (var (from, to) in new[] { ("video/bike-packing-input", input), ("video/bike-packing-processed", processed) })
            foreach (var file in Directory.GetFiles(TestPaths.SharedData(from), "*.jpg").Order(StringComparer.Ordinal).Take(5))
                ImageIO.Write(Path.Combine(to, Path.ChangeExtension(Path.GetFileName(file), ".png")), ImageIO.Read(file, PixelFormat.Rgb24));

        var r = ReelProcess.Run("eval", "temporal", "--input", input, "--output", processed, "--processed", input, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var ours = JsonDocument.Parse(r.Stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal(Keys, ours.RootElement.EnumerateObject().Select(p => p.Name).ToArray());

        using var script = JsonDocument.Parse(RunScript(input, processed, input).TrimEnd().Split('\n')[^1]);
        Assert.Equal(5, ours.RootElement.GetProperty("frames").GetInt32());
        Assert.Equal(5, script.RootElement.GetProperty("frames").GetInt32());
        foreach (var key in Keys.Where(k => k != "frames"))
        {
            double a = ours.RootElement.GetProperty(key).GetDouble(), e = script.RootElement.GetProperty(key).GetDouble();
            double rel = Math.Abs(a - e) / Math.Abs(e);
            output.WriteLine($"{key}: reel {a:G6}, script {e:G6}, deviation {rel:P3}");
            Assert.True(rel <= 0.05, $"{key}: reel {a:G6} vs the script's {e:G6} ({rel:P2})");
        }
    }

    [Fact]
    public void AGraySequenceScoredAgainstItselfSitsOnItsFloor()
    {
        var frames = MovingGray(6, 40, 32);
        var scorer = new TemporalScorer(FastBackend.Instance);
        foreach (var f in frames) scorer.Add(f, f, f);
        var report = scorer.Report();
        Assert.Equal(report.WarpFloor, report.WarpError);
        Assert.Equal(report.WarpFloorLai, report.WarpErrorLai);
        Assert.True(report.WarpFloorLai < 0.02 * 0.02, $"Lai's floor {report.WarpFloorLai}");
        Assert.True(report.WarpFloor < 0.02, $"floor {report.WarpFloor}");
        Assert.Equal(0, report.Colorfulness, 9);
        Assert.Equal(1, report.Detail, 9);
        Assert.Equal(double.PositiveInfinity, report.PsnrProcessed);
        Assert.Equal(6, report.Frames);
    }

    [Fact]
    public void FlickerRaisesWarpErrorAndCdcAboveTheFloor()
    {
        var frames = MovingGray(6, 40, 32);
        var scorer = new TemporalScorer(FastBackend.Instance);
        for (int t = 0; t < frames.Count; t++)
        {
            var tinted = frames[t].Clone();
            int plane = 40 * 32;
            for (int p = 0; p < plane; p++) tinted.Data[p] = Math.Clamp(tinted.Data[p] + (t % 2 == 0 ? 0.15f : -0.15f), 0, 1);
            scorer.Add(frames[t], tinted);
        }
        var report = scorer.Report();
        Assert.True(report.WarpError > 2 * report.WarpFloor + 0.03, $"warp {report.WarpError} floor {report.WarpFloor}");
        Assert.True(report.Cdc > 0.01, $"cdc {report.Cdc}");
        // ±0.15 on red alone: (0.3)² on one channel of three between frames, where the clamp leaves it.
        Assert.True(report.WarpErrorLai > 0.01 && report.WarpErrorLai > 10 * report.WarpFloorLai, $"Lai's warp {report.WarpErrorLai} floor {report.WarpFloorLai}");
        Assert.True(report.Cdc256 >= report.Cdc, $"256 bins {report.Cdc256}, 64 bins {report.Cdc}");
        Assert.True(report.Colorfulness > 10, $"colourfulness {report.Colorfulness}");
        Assert.Null(report.PsnrProcessed);
    }

    [Fact]
    public void SequencesOfDifferentLengthsAreRefused()
    {
        var dir = TestPaths.NewTempDir();
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        var frames = MovingGray(3, 24, 20);
        for (int t = 0; t < 3; t++) ImageIO.Write(Path.Combine(a, $"{t}.png"), frames[t]);
        for (int t = 0; t < 2; t++) ImageIO.Write(Path.Combine(b, $"{t}.png"), frames[t]);
        var e = Assert.Throws<ReelException>(() => TemporalEvaluation.Run(a, b, null, 0, FastBackend.Instance));
        Assert.Contains("differ in length", e.Message);
        var r = ReelProcess.Run("eval", "temporal", "--input", a, "--output", b);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("reel: error:", r.Stderr.Trim().Split('\n')[^1]);
    }

    /// <summary>A gray texture sliding right by 1.5 pixels a frame, as RGB (1, 3, H, W).</summary>
    private static List<Tensor> MovingGray(int count, int w, int h)
    {
        var frames = new List<Tensor>();
        for (int t = 0; t < count; t++)
        {
            var f = new Tensor(new Shape(1, 3, h, w));
            for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
            {
                double x = j - 1.5 * t;
                float v = MathF.Round((float)(0.5 + 0.3 * Math.Sin(x * 0.45) * Math.Cos(i * 0.3) + 0.1 * Math.Sin(x * 0.13 + i * 0.21)) * 255) / 255;
                for (int c = 0; c < 3; c++) f.Data[(c * h + i) * w + j] = v;
            }
            frames.Add(f);
        }
        return frames;
    }

    private static string RunScript(string input, string outputDir, string processed)
    {
        var psi = new ProcessStartInfo(Golden.Python()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(TestPaths.RepoRoot, "bench", "temporal_score.py"), "--input", input, "--output", outputDir, "--processed", processed, "--json" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"temporal_score.py failed (python3-opencv installed? REEL_PYTHON?): {err.Result}");
        return stdout;
    }
}
