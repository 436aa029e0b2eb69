using System.CommandLine;
using System.Globalization;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Spectre.Console;

namespace Reel.Cli.Commands;

/// <summary>`reel restore IN OUT`: the whole job on a video, audio kept.</summary>
public static class RestoreCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Noisy black-and-white video (any format ffmpeg reads)" };
        var output = new Argument<string>("output") { Description = "Restored video (.mp4, .mkv, …): H.264 CRF 17, audio copied; written atomically" };
        var denoiser = new Option<string?>("--denoiser") { Description = "DnCNN checkpoint (default: dncnn_gray_blind from the weights cache)" };
        var colorizer = new Option<string?>("--colorizer") { Description = "ECCV16 checkpoint (default: colorization_release_v2-9b330a0b.pth from the weights cache)" };
        var epochs = new Option<int>("--epochs") { Description = "Deep Video Prior epochs per shot", DefaultValueFactory = _ => 50 };
        var device = DeviceChoice.CreateOption();
        var noDenoise = new Option<bool>("--no-denoise") { Description = "Skip DnCNN" };
        var noColorize = new Option<bool>("--no-colorize") { Description = "Skip the colorizer (output stays gray)" };
        var noStabilize = new Option<bool>("--no-stabilize") { Description = "Skip the temporal prior (frames stream straight to the encoder)" };
        var noIrt = new Option<bool>("--no-irt") { Description = "Train the prior without IRT" };
        var noProgress = new Option<bool>("--no-progress") { Description = "Plain progress lines instead of a progress bar" };
        var temperature = ColorizeCommand.TemperatureOption();
        var memory = new Option<int>("--memory-mb")
        {
            Description = "Frames waiting for the temporal prior stay in memory up to this many MiB; the rest wait on disk in a temp folder",
            DefaultValueFactory = _ => 2048,
        };
        var cmd = new Command("restore", "Denoise, colorize and de-flicker a black-and-white video; audio is kept.")
            { input, output, denoiser, colorizer, epochs, device, noDenoise, noColorize, noStabilize, noIrt, noProgress, temperature, memory };
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
            if (!File.Exists(inPath)) throw new ReelException($"input not found: {inPath}");
            if (Path.GetFullPath(inPath) == Path.GetFullPath(outPath)) throw new ReelException("output would overwrite the input; choose another path");
            if (r.GetValue(epochs) < 1) throw new ReelException($"--epochs must be ≥ 1, got {r.GetValue(epochs)}");
            if (!r.GetValue(noStabilize) && !r.GetValue(noIrt) && r.GetValue(epochs) <= StabilizeStage.IrtInitEpochs)
                throw new ReelException($"with IRT the first {StabilizeStage.IrtInitEpochs} epochs only initialize on frame 0; use more than {StabilizeStage.IrtInitEpochs} epochs or --no-irt");

            var backend = DeviceChoice.Resolve(r.GetValue(device)!, FastBackend.Instance);
            var options = new RestoreOptions
            {
                Denoiser = r.GetValue(noDenoise) ? null
                    : DnCnn.Load(r.GetValue(denoiser) ?? WeightCatalog.Require(WeightCatalog.Get("dncnn_gray_blind"), "--denoiser"), backend),
                Colorizer = r.GetValue(noColorize) ? null
                    : Colorizer.Load(r.GetValue(colorizer) ?? WeightCatalog.Require(WeightCatalog.Get("colorizer"), "--colorizer"), backend),
                Temperature = r.GetValue(temperature),
                Stabilize = !r.GetValue(noStabilize),
                Prior = new StabilizeOptions
                {
                    Mode = StabilizeMode.Chroma,
                    Epochs = r.GetValue(epochs),
                    Irt = !r.GetValue(noIrt),
                    MemoryBudgetBytes = Math.Max(1, r.GetValue(memory)) * (1L << 20),
                },
            };
            if (options.Colorizer is null && options.Stabilize)
                options = options with { Prior = options.Prior with { Mode = StabilizeMode.Rgb } };

            bool plain = r.GetValue(noProgress) || Console.IsErrorRedirected;
            if (plain)
            {
                string lastStage = "";
                int lastPercent = -1;
                var stageStart = TimeSpan.Zero;
                RestorePipeline.Run(inPath, outPath, options, backend, p =>
                {
                    if (p.Stage != lastStage) stageStart = p.Elapsed;
                    int percent = p.Total > 0 ? (int)(100 * p.Done / p.Total) : -1;
                    if (p.Stage == lastStage && percent / 10 == lastPercent / 10) return;
                    (lastStage, lastPercent) = (p.Stage, percent);
                    double seconds = (p.Elapsed - stageStart).TotalSeconds;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{p.Stage}: {p.Done}/{(p.Total > 0 ? p.Total.ToString(CultureInfo.InvariantCulture) : "?")} frames, {(seconds > 0 ? p.Done / seconds : 0):F2} fps, elapsed {p.Elapsed:hh\\:mm\\:ss} {p.Detail}"));
                }, cancel);
            }
            else
            {
                var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                err.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var tasks = new Dictionary<string, (ProgressTask Task, TimeSpan Start)>();
                        RestorePipeline.Run(inPath, outPath, options, backend, p =>
                        {
                            if (!tasks.TryGetValue(p.Stage, out var entry))
                                tasks[p.Stage] = entry = (ctx.AddTask(p.Stage, maxValue: Math.Max(1, p.Total)), p.Elapsed);
                            if (p.Total > 0) entry.Task.MaxValue = p.Total;
                            entry.Task.Value = p.Done;
                            double seconds = (p.Elapsed - entry.Start).TotalSeconds;
                            entry.Task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                                $"{p.Stage} {p.Detail} {(seconds > 0 ? p.Done / seconds : 0):F2} fps"));
                        }, cancel);
                    });
            }
            Console.Error.WriteLine($"restored {inPath} → {outPath}");
            return 0;
        })));
        return cmd;
    }
}
