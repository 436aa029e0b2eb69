using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;
using Reel.Engine.Video;

namespace Reel.Cli.Commands;

/// <summary>`reel restore IN OUT`: the whole job on a video, audio kept.</summary>
public static class RestoreCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Noisy black-and-white video (any format ffmpeg reads) or a folder of frames" };
        var output = new Argument<string>("output") { Description = "Restored video (.mp4, .mkv, …; timestamps, audio and subtitles kept) or a new folder for PNG frames; written atomically" };
        var job = new RestoreJobOptions();
        var device = DeviceChoice.CreateOption();
        var precision = DeviceChoice.PrecisionOption();
        var progress = new ProgressChoice();
        var memory = MemoryOption();
        var resume = ResumeOption();
        var strict = StrictOption();
        var sideBySide = SideBySideOption();
        var cmd = new Command("restore", "Denoise, colorize and de-flicker a black-and-white video; audio, subtitles and timestamps are kept. " +
                                         "'plan', 'run' and 'join' share the work among processes, GPUs and hosts.")
            { input, output, device, precision, progress.Progress, progress.NoProgress, memory, resume, strict, sideBySide };
        job.AddTo(cmd);
        cmd.Subcommands.Add(RestorePlanCommand.Create());
        cmd.Subcommands.Add(RestoreRunCommand.Create());
        cmd.Subcommands.Add(RestoreJoinCommand.Create());
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            string inPath = r.GetValue(input)!, outPath = r.GetValue(output)!;
            // What the command line alone cannot carry out is refused (exit 2) before any file is looked at.
            job.Validate(r);
            var budget = MemoryBudget(r, memory);
            var mode = progress.Resolve(r);
            DeviceChoice.RefusePrecisionOnCpu(r.GetValue(device)!, r.GetValue(precision));
            if (!File.Exists(inPath) && !Directory.Exists(inPath)) throw new ReelException($"input not found: {inPath}");
            job.RefuseFolderRate(r, inPath);
            string? review = r.GetValue(sideBySide);
            if (review is not null) SideBySide.Check(inPath, outPath, review);
            var backend = DeviceChoice.Resolve(r.GetValue(device)!, FastBackend.Instance, r.GetValue(precision));
            using var deviceMemory = backend as IDisposable;
            var options = job.Build(r, backend) with { Resume = r.GetValue(resume), Strict = r.GetValue(strict), MemoryBudgetBytes = budget };
            MemoryCap.Apply(options, backend);
            using (options.Denoiser)
            using (options.Colorizer)
                RunSequence(inPath, outPath, options, backend, mode, cancel);
            Console.Error.WriteLine($"restored {inPath} → {outPath}");
            if (review is not null) WriteSideBySide(inPath, outPath, review, options);
            return 0;
        }, cancel, () => WhatIsKept(r.GetValue(output)!), progress.EndLine(r))));
        return cmd;
    }

    /// <summary>`--side-by-side`, for the commands that write the restored video (restore, and a plan's join).</summary>
    public static Option<string?> SideBySideOption() =>
        new("--side-by-side") { Description = "Also write FILE (.mp4, .mkv, .mov, .m4v): the input left, the restored video right, frame for frame and as long, for review" };

    /// <summary>
    /// Writes <paramref name="review"/>, the input beside the restored <paramref name="output"/>, the input as the restore took it:
    /// through its deinterlacer, cut to its range.
    /// </summary>
    public static void WriteSideBySide(string input, string output, string review, RestoreOptions options)
    {
        var taken = options.OpenSource(input);
        SideBySide.Write(input, output, review, options.Encode, taken.DecodeFilter, taken.Seek);
        Console.Error.WriteLine($"side by side: {review} (input | restored)");
    }

    /// <summary>`--memory-mb`, for the commands that run the networks.</summary>
    public static Option<int> MemoryOption() => new("--memory-mb")
    {
        Description = "What the run may hold beyond the networks' fixed memory, in MiB: their working memory for a frame, and frames waiting " +
                      "for the temporal prior (the rest wait on disk); frames too large for it are refused (default: half the machine's memory)",
        DefaultValueFactory = _ => MemoryCap.DefaultBudgetMb,
    };

    /// <summary>The budget `--memory-mb` gives, in bytes.</summary>
    public static long MemoryBudget(ParseResult r, Option<int> memory) =>
        r.GetValue(memory) < 1 ? throw new UsageException($"--memory-mb must be ≥ 1, got {r.GetValue(memory)}") : r.GetValue(memory) * (1L << 20);

    /// <summary>The resume switch of every command that runs the pipeline on videos and folders.</summary>
    public static Option<bool> ResumeOption() =>
        new("--resume") { Description = "Continue an interrupted run of the same command on a video or folder from its last finished shot" };

    /// <summary>The switch that turns what decoding lost (frames, a size change, duration) from warnings into errors.</summary>
    public static Option<bool> StrictOption() =>
        new("--strict") { Description = "Fail instead of warning when decoding loses frames, the size changes mid-stream or the duration differs from the container's" };

    /// <summary>After an interruption: where the finished shots are and how to continue.</summary>
    public static string WhatIsKept(string output) => Directory.Exists(RestoreJob.FolderFor(output))
        ? $"{(RestoreJob.HoldsTraining(output) ? "the work done (finished shots, and the training of the shot in progress) is" : "finished shots are")} kept in " +
          $"{RestoreJob.FolderFor(output)}; run the same command with --resume to continue"
        : "nothing was written";

    /// <summary>Runs the pipeline on a video or frame folder with progress on stderr as <paramref name="mode"/> asks.</summary>
    public static void RunSequence(string inPath, string outPath, RestoreOptions options, IBackend backend, ProgressMode mode, CancellationToken cancel) =>
        ProgressDisplay.Run(mode, report => RestorePipeline.Run(inPath, outPath, options, backend, report, cancel));
}
