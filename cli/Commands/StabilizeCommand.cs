using System.CommandLine;
using System.Globalization;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Video;
using Spectre.Console;

namespace Reel.Cli.Commands;

/// <summary>`reel stabilize`: remove the flicker a per-frame process left, with a Deep Video Prior per shot.</summary>
public static class StabilizeCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "Folder of the original frames (sorted by name)", Required = true };
        var processed = new Option<string>("--processed") { Description = "Folder of the per-frame processed frames, same names order", Required = true };
        var output = new Option<string>("--output") { Description = "New folder for the stabilized frames (PNG; created atomically)", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs per shot", DefaultValueFactory = _ => 50 };
        var noIrt = new Option<bool>("--no-irt") { Description = "Plain L1 training with one head instead of Iteratively Reweighted Training" };
        var width = new Option<int>("--width") { Description = "U-Net base width (the paper's is 32)", DefaultValueFactory = _ => 32 };
        var coarse = new Option<bool>("--coarse-to-fine") { Description = "Train on 2× decimated frames for the first 4/5 of the epochs (faster)" };
        var noShots = new Option<bool>("--no-shots") { Description = "Train one prior on the whole sequence instead of one per detected shot" };
        var seed = new Option<int>("--seed") { Description = "Seed of the weight initialization", DefaultValueFactory = _ => 0 };
        var noProgress = new Option<bool>("--no-progress") { Description = "Plain progress lines instead of a progress bar" };
        var cmd = new Command("stabilize", "Remove temporal flicker from processed frames (Deep Video Prior with IRT, trained per shot).")
            { input, processed, output, epochs, noIrt, width, coarse, noShots, seed, noProgress };
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
            };
            if (options.Width < 1) throw new ReelException($"--width must be ≥ 1, got {options.Width}");
            var inputFiles = FrameFolder.List(r.GetValue(input)!);
            var processedFiles = FrameFolder.List(r.GetValue(processed)!);
            if (inputFiles.Count != processedFiles.Count)
                throw new ReelException($"{inputFiles.Count} input frames but {processedFiles.Count} processed frames");
            var outDir = r.GetValue(output)!;
            if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
                throw new ReelException($"output folder {outDir} exists and is not empty; choose a new one");

            using var inputs = Load(inputFiles, options.MemoryBudgetBytes / 2);
            using var targets = Load(processedFiles, options.MemoryBudgetBytes / 2);
            var results = new Tensor[inputFiles.Count];
            bool plain = r.GetValue(noProgress) || Console.IsErrorRedirected;
            var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            void Train(Action<StabilizeProgress> report) =>
                StabilizeStage.Run(inputs, targets, options, FastBackend.Instance, (t, frame) => results[t] = frame, report, cancel);

            if (plain)
            {
                Train(p =>
                {
                    if (p.Frame == p.Frames)
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"shot {p.Shot}/{p.Shots} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F5} {p.Fraction:P0} elapsed {p.Elapsed:hh\\:mm\\:ss} eta {Eta(p):hh\\:mm\\:ss}"));
                });
            }
            else
            {
                err.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("training", maxValue: 1.0);
                        Train(p =>
                        {
                            task.Description = string.Create(CultureInfo.InvariantCulture,
                                $"shot {p.Shot}/{p.Shots} epoch {p.Epoch}/{p.Epochs} frame {p.Frame}/{p.Frames} loss {p.Loss:F4}");
                            task.Value = p.Fraction;
                        });
                    });
            }
            FrameFolder.WriteAll(outDir, inputFiles.Select(Path.GetFileName).ToList()!, t => results[t]);
            Console.Error.WriteLine($"stabilized {inputFiles.Count} frames → {outDir}");
            if (inputFiles.Count >= 2) Report(inputs, targets, results);
            return 0;
        })));
        return cmd;
    }

    /// <summary>How much flicker went away and how close the result stayed to the processed frames.</summary>
    private static void Report(FrameStore inputs, FrameStore targets, Tensor[] results)
    {
        var x = Enumerable.Range(0, inputs.Count).Select(t => inputs[t]).ToList();
        var p = Enumerable.Range(0, targets.Count).Select(t => targets[t]).ToList();
        double before = Flicker.Measure(p, x), after = Flicker.Measure(results, x);
        double psnr = results.Select((r, t) => ImageMetrics.Psnr(r, p[t])).Average();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flicker {before:F4} (processed) → {after:F4} (stabilized), {after / before:F2}×; PSNR to processed {psnr:F2} dB"));
    }

    private static TimeSpan Eta(StabilizeProgress p) =>
        p.Fraction > 0 ? TimeSpan.FromSeconds(p.Elapsed.TotalSeconds * (1 - p.Fraction) / p.Fraction) : TimeSpan.Zero;

    private static FrameStore Load(IReadOnlyList<string> files, long budget)
    {
        var store = new FrameStore(budget);
        foreach (var f in files) store.Add(ImageIO.Read(f, PixelFormat.Rgb24));
        return store;
    }
}
