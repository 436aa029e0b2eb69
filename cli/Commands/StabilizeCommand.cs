using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Cli.Commands;

/// <summary>`reel stabilize`: remove the flicker a per-frame process left, with a Deep Video Prior per shot.</summary>
public static class StabilizeCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "The original frames: a folder of images (sorted by name) or a video", Required = true };
        var processed = new Option<string>("--processed") { Description = "The per-frame processed frames, paired in order: a folder or a video", Required = true };
        var output = new Option<string>("--output") { Description = "A new folder of PNG frames, or a video file (.mp4, .mkv, …; H.264, audio copied from a video input); written atomically", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs per shot", DefaultValueFactory = _ => 50 };
        var noIrt = new Option<bool>("--no-irt") { Description = "Plain L1 training with one head instead of Iteratively Reweighted Training" };
        var width = new Option<int>("--width") { Description = "U-Net base width (the paper's is 32)", DefaultValueFactory = _ => 32 };
        var coarse = new Option<bool>("--coarse-to-fine") { Description = "Train on 2× decimated frames for the first 4/5 of the epochs (faster)" };
        var noShots = new Option<bool>("--no-shots") { Description = "Train one prior on the whole sequence instead of one per detected shot" };
        var seed = new Option<int>("--seed") { Description = "Seed of the weight initialization", DefaultValueFactory = _ => 0 };
        var progress = new ProgressChoice();
        var mode = new Option<string>("--mode")
        {
            Description = "rgb: reproduce the processed RGB frames (the paper); chroma: train on Lab a, b at reduced size and keep the processed frames' full-resolution L (for colorization flicker; several times faster)",
            DefaultValueFactory = _ => "rgb",
        };
        mode.AcceptOnlyFromAmong("rgb", "chroma");
        var memory = new Option<int>("--memory-mb")
        {
            Description = "Frames kept in memory up to this many MiB (input and processed together); the rest wait on disk in a temp folder",
            DefaultValueFactory = _ => 2048,
        };
        var chromaScale = new Option<int>("--chroma-scale") { Description = "Chroma mode trains at 1/N of the frame size", DefaultValueFactory = _ => 2 };
        var device = DeviceChoice.CreateOption("cpu");
        var precision = DeviceChoice.PrecisionOption();
        var cmd = new Command("stabilize", "Remove temporal flicker from processed frames (Deep Video Prior with IRT, trained per shot).")
            { input, processed, output, epochs, noIrt, width, coarse, noShots, seed, progress.Progress, progress.NoProgress, mode, chromaScale, memory, device, precision };
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            var options = new StabilizeOptions
            {
                Epochs = r.GetValue(epochs),
                Irt = !r.GetValue(noIrt),
                Width = r.GetValue(width),
                CoarseToFine = r.GetValue(coarse),
                SplitShots = !r.GetValue(noShots),
                Seed = r.GetValue(seed),
                Mode = r.GetValue(mode) == "chroma" ? StabilizeMode.Chroma : StabilizeMode.Rgb,
                ChromaScale = r.GetValue(chromaScale),
                MemoryBudgetBytes = Math.Max(1, r.GetValue(memory)) * (1L << 20),
            };
            if (options.Width < 1) throw new ReelException($"--width must be ≥ 1, got {options.Width}");
            var progressMode = progress.Resolve(r);
            var outPath = r.GetValue(output)!;
            bool videoOut = VideoFile.IsVideoPath(outPath);
            if (!videoOut && Directory.Exists(outPath) && Directory.EnumerateFileSystemEntries(outPath).Any())
                throw new ReelException($"output folder {outPath} exists and is not empty; choose a new one");

            var (inputs, names, times, source) = Load(r.GetValue(input)!, options.MemoryBudgetBytes / 2);
            using var inputStore = inputs;
            var (targets, _, _, _) = Load(r.GetValue(processed)!, options.MemoryBudgetBytes / 2);
            using var targetStore = targets;
            var backend = DeviceChoice.Resolve(r.GetValue(device)!, FastBackend.Instance, r.GetValue(precision));
            using var deviceMemory = backend as IDisposable;
            var meter = new FlickerMeter();
            var clock = Stopwatch.StartNew();
            ProgressDisplay.Run(progressMode, report =>
            {
                using IFrameSink sink = videoOut
                    ? new VideoSink(outPath, source.TimeBase, source.StreamSource,
                        note: n => report(new RestoreProgress(RestoreStage.Note, 0, 0, n, clock.Elapsed)))
                    : new FolderSink(outPath, names);
                var rates = new ProgressMeter(0, options.Epochs, RestoreStage.Stabilize, RestoreStage.Encode);
                int count = inputs.Count;
                void Emit(int t, Tensor frame)
                {
                    var x = inputs[t];
                    meter.Add(FrameOps.ToRgb(x), targets[t], frame);
                    sink.Write(frame, times[t]);
                    report(rates.Measure(new RestoreProgress(RestoreStage.Encode, t + 1, count, "", clock.Elapsed)));
                }
                StabilizeStage.Run(inputs, targets, options, backend, Emit,
                    p => report(rates.Measure(new RestoreProgress(RestoreStage.Stabilize, (long)(p.Fraction * count), count,
                            p.Shots == 1 ? "1 shot" : string.Create(CultureInfo.InvariantCulture, $"{p.Shots} shots"), clock.Elapsed) { Shot = p.Shot, Epoch = p.Epoch, Epochs = p.Epochs, Loss = p.Loss },
                        p.Fraction * count)),
                    cancel);
                sink.Complete();
            });
            Console.Error.WriteLine($"stabilized {inputs.Count} frames → {outPath}");
            if (meter.Frames >= 2)
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"flicker {meter.FlickerBefore:F4} (processed) → {meter.FlickerAfter:F4} (stabilized), {meter.FlickerAfter / meter.FlickerBefore:F2}×; PSNR to processed {meter.MeanPsnr:F2} dB"));
            return 0;
        })));
        return cmd;
    }

    /// <summary>The frames of a folder or a video with their names and times, and the source they came from.</summary>
    private static (FrameStore Frames, IReadOnlyList<string> Names, IReadOnlyList<long> Times, FrameSource Source) Load(string path, long budget)
    {
        var source = FrameSource.Open(path);
        var store = new FrameStore(budget);
        try
        {
            var names = new List<string>();
            var times = new List<long>();
            foreach (var f in source.Read(PixelFormat.Rgb24))
            {
                store.Add(ImageIO.ToTensor(f.Pixels, source.Width, source.Height, PixelFormat.Rgb24));
                names.Add(f.Name);
                times.Add(f.PtsNs);
            }
            return (store, names, times, source);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}
