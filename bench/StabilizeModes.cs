using System.Diagnostics;
using System.Globalization;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Color;
using Reel.Engine.Metrics;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Bench;

/// <summary>
/// RGB vs chroma mode of the Deep Video Prior on a colorization-like flicker: the bike-packing
/// frames made gray are the input; the "processed" frames are the true colours with a per-frame
/// chroma gain and shift (what frame-by-frame colorizers do). Prints one row per mode: time,
/// flicker before → after, PSNR to the processed frames and to the flicker-free truth.
/// Run: dotnet run -c Release --project bench -- stabilize-modes [frames] [width] [height] [epochs] [net width]
/// </summary>
public static class StabilizeModes
{
    public static void Run(string[] args)
    {
        int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
        int frames = Arg(1, 12), width = Arg(2, 256), height = Arg(3, 128), epochs = Arg(4, 20), netWidth = Arg(5, 16);
        var dir = SharedData("video/bike-packing-input");
        var names = Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).Take(frames).ToList();
        var rng = new StandardNormal(5);
        using var gray = new FrameStore(1L << 32);
        using var processed = new FrameStore(1L << 32);
        var truth = new List<Tensor>();
        foreach (var n in names)
        {
            var rgb = FastBackend.Instance.Execute(new ResizeBicubicOp(height, width), ImageIO.Read(n, PixelFormat.Rgb24));
            truth.Add(rgb);
            var lab = Lab.FromRgb(rgb);
            int plane = width * height;
            var g = lab.Clone();
            Array.Clear(g.Data, plane, 2 * plane);
            gray.Add(Lab.ToRgb(g));
            double gain = 1 + 0.25 * rng.Next(), da = 6 * rng.Next(), db = 6 * rng.Next();
            for (int i = 0; i < plane; i++)
            {
                lab.Data[plane + i] = (float)(lab.Data[plane + i] * gain + da);
                lab.Data[2 * plane + i] = (float)(lab.Data[2 * plane + i] * gain + db);
            }
            processed.Add(Lab.ToRgb(lab));
        }
        var inputs = Enumerable.Range(0, frames).Select(t => gray[t]).ToList();
        var targets = Enumerable.Range(0, frames).Select(t => processed[t]).ToList();
        Console.WriteLine($"bike-packing, {frames} frames {width}×{height}, {epochs} epochs, U-Net width {netWidth}, no IRT, lr 5e-4");
        Console.WriteLine($"processed frames: flicker {Flicker.Measure(targets, inputs):F4}, PSNR to truth {Mean(targets, truth):F2} dB");
        Console.WriteLine("| mode | trained at | time s | s/epoch | flicker after | PSNR to processed dB | PSNR to truth dB |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (mode, scale) in new[] { (StabilizeMode.Rgb, 1), (StabilizeMode.Chroma, 2), (StabilizeMode.Chroma, 4) })
        {
            var options = new StabilizeOptions { Mode = mode, ChromaScale = scale, Epochs = epochs, Irt = false, Width = netWidth, LearningRate = 5e-4f, SplitShots = false };
            var output = new Tensor[frames];
            var sw = Stopwatch.StartNew();
            StabilizeStage.Run(gray, processed, options, FastBackend.Instance, (t, f) => output[t] = f);
            double s = sw.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {mode.ToString().ToLowerInvariant()} | {width / scale}×{height / scale} | {s:F0} | {s / epochs:F1} | {Flicker.Measure(output, inputs):F4} | {Mean(output, targets):F2} | {Mean(output, truth):F2} |"));
        }
    }

    private static double Mean(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) => a.Select((t, i) => ImageMetrics.Psnr(t, b[i])).Average();

    private static string SharedData(string relative)
    {
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Engine.sln")))
                return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "data", relative));
        throw new DirectoryNotFoundException("run from inside the repository (Engine.sln not found above the current folder)");
    }
}
