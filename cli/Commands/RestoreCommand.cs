using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;

namespace Reel.Cli.Commands;

/// <summary>`reel restore IN OUT`: the whole job on a video, audio kept.</summary>
public static class RestoreCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Noisy black-and-white video (any format ffmpeg reads) or a folder of frames" };
        var output = new Argument<string>("output") { Description = "Restored video (.mp4, .mkv, …; timestamps, audio and subtitles kept) or a new folder for PNG frames; written atomically" };
        var denoiser = new Option<string?>("--denoiser") { Description = "DnCNN checkpoint (default: dncnn_gray_blind from the weights cache)" };
        var colorizer = new Option<string?>("--colorizer") { Description = "ECCV16 checkpoint (default: colorization_release_v2-9b330a0b.pth from the weights cache)" };
        var epochs = new Option<int>("--epochs") { Description = "Deep Video Prior epochs per shot", DefaultValueFactory = _ => 50 };
        var device = DeviceChoice.CreateOption();
        var noDenoise = new Option<bool>("--no-denoise") { Description = "Skip DnCNN" };
        var noColorize = new Option<bool>("--no-colorize") { Description = "Skip the colorizer (output stays gray)" };
        var noStabilize = new Option<bool>("--no-stabilize") { Description = "Skip the temporal prior (frames stream straight to the encoder)" };
        var noIrt = new Option<bool>("--no-irt") { Description = "Train the prior without IRT" };
        var progress = new ProgressChoice();
        var temperature = ColorizeCommand.TemperatureOption();
        var memory = new Option<int>("--memory-mb")
        {
            Description = "Frames waiting for the temporal prior stay in memory up to this many MiB; the rest wait on disk in a temp folder",
            DefaultValueFactory = _ => 2048,
        };
        var resume = ResumeOption();
        var encoder = new Option<string>("--encoder") { Description = "ffmpeg video encoder (libx264, libx265, libvpx-vp9, libaom-av1, ffv1, …)", DefaultValueFactory = _ => "libx264" };
        var crf = new Option<int>("--crf") { Description = "Constant quality for x264/x265/VP9/AV1 (lower is better; 17 keeps film grain)", DefaultValueFactory = _ => 17 };
        var preset = new Option<string>("--preset") { Description = "x264/x265 speed preset", DefaultValueFactory = _ => "medium" };
        var maxShot = new Option<int>("--max-shot-frames")
        {
            Description = "Longest shot one prior trains on (longer shots are split); also the most work an interruption can lose",
            DefaultValueFactory = _ => 300,
        };
        var fps = new Option<string>("--fps") { Description = "Frame rate of a folder of frames (e.g. 24, 24000/1001)", DefaultValueFactory = _ => FrameSource.DefaultFolderRate };
        var sideBySide = new Option<string?>("--side-by-side") { Description = "Also write FILE (.mp4, .mkv): the input left, the restored video right, frame for frame and as long, for review" };
        var cmd = new Command("restore", "Denoise, colorize and de-flicker a black-and-white video; audio, subtitles and timestamps are kept.")
            { input, output, denoiser, colorizer, epochs, device, noDenoise, noColorize, noStabilize, noIrt, progress.Progress, progress.NoProgress, temperature, memory, resume, encoder, crf, preset, maxShot, fps, sideBySide };
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
            if (!File.Exists(inPath) && !Directory.Exists(inPath)) throw new ReelException($"input not found: {inPath}");
            if (Path.GetFullPath(inPath) == Path.GetFullPath(outPath)) throw new ReelException("output would overwrite the input; choose another path");
            if (r.GetValue(maxShot) < 1) throw new ReelException($"--max-shot-frames must be ≥ 1, got {r.GetValue(maxShot)}");
            if (r.GetValue(epochs) < 1) throw new ReelException($"--epochs must be ≥ 1, got {r.GetValue(epochs)}");
            string? review = r.GetValue(sideBySide);
            if (review is not null) SideBySide.Check(inPath, outPath, review);
            var mode = progress.Resolve(r);
            if (!r.GetValue(noStabilize) && !r.GetValue(noIrt) && r.GetValue(epochs) <= StabilizeStage.IrtInitEpochs)
                throw new ReelException($"with IRT the first {StabilizeStage.IrtInitEpochs} epochs only initialize on frame 0; use more than {StabilizeStage.IrtInitEpochs} epochs or --no-irt");

            var backend = DeviceChoice.Resolve(r.GetValue(device)!, FastBackend.Instance);
            string? denoiserPath = r.GetValue(noDenoise) ? null : r.GetValue(denoiser) ?? WeightCatalog.Require(WeightCatalog.Get("dncnn_gray_blind"), "--denoiser");
            string? colorizerPath = r.GetValue(noColorize) ? null : r.GetValue(colorizer) ?? WeightCatalog.Require(WeightCatalog.Get("colorizer"), "--colorizer");
            var options = new RestoreOptions
            {
                Denoiser = denoiserPath is null ? null : DnCnn.Load(denoiserPath, backend),
                DenoiserSource = denoiserPath,
                Colorizer = colorizerPath is null ? null : Colorizer.Load(colorizerPath, backend),
                ColorizerSource = colorizerPath,
                Resume = r.GetValue(resume),
                MaxShotFrames = r.GetValue(maxShot),
                FolderFrameRate = r.GetValue(fps)!,
                Encode = new EncodeSettings { Codec = r.GetValue(encoder)!, Crf = r.GetValue(crf), Preset = r.GetValue(preset)! },
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

            RunSequence(inPath, outPath, options, backend, mode, cancel);
            Console.Error.WriteLine($"restored {inPath} → {outPath}");
            if (review is not null)
            {
                SideBySide.Write(inPath, outPath, review, options.Encode);
                Console.Error.WriteLine($"side by side: {review} (input | restored)");
            }
            return 0;
        }, cancel, () => WhatIsKept(r.GetValue(output)!))));
        return cmd;
    }

    /// <summary>The resume switch of every command that runs the pipeline on videos and folders.</summary>
    public static Option<bool> ResumeOption() =>
        new("--resume") { Description = "Continue an interrupted run of the same command on a video or folder from its last finished shot" };

    /// <summary>After an interruption: where the finished shots are and how to continue.</summary>
    public static string WhatIsKept(string output) => Directory.Exists(RestoreJob.FolderFor(output))
        ? $"finished shots are kept in {RestoreJob.FolderFor(output)}; run the same command with --resume to continue"
        : "nothing was written";

    /// <summary>Runs the pipeline on a video or frame folder with progress on stderr as <paramref name="mode"/> asks.</summary>
    public static void RunSequence(string inPath, string outPath, RestoreOptions options, IBackend backend, ProgressMode mode, CancellationToken cancel) =>
        ProgressDisplay.Run(mode, report => RestorePipeline.Run(inPath, outPath, options, backend, report, cancel));
}
