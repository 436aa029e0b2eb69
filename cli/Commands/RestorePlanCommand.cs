using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel restore plan INPUT WORKDIR [options]`: the first step of a restore shared among
/// processes and hosts: cuts the film into shots as `reel restore` would and writes
/// WORKDIR/plan.json, which every `reel restore run` worker and the join read.
/// </summary>
public static class RestorePlanCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "The video or folder of frames to restore (every worker must see it at this path)" };
        var workdir = new Argument<string>("workdir") { Description = "A folder on a volume every worker shares: the plan, the shots' pieces and their claims go here" };
        var job = new RestoreJobOptions();
        var progress = new ProgressChoice();
        var strict = RestoreCommand.StrictOption();
        var cmd = new Command("plan", "Cut the film into shots (as 'reel restore' does) and write WORKDIR/plan.json for 'reel restore run' workers; takes the options of restore that set the restore (the run's own, such as --device or --resume, are the workers')")
            { input, workdir, progress.Progress, progress.NoProgress, strict };
        job.AddTo(cmd);
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            string inPath = r.GetValue(input)!, work = Path.GetFullPath(r.GetValue(workdir)!);
            // As restore: what the command line alone cannot carry out exits 2 before any file is looked at.
            job.Validate(r);
            var mode = progress.Resolve(r);
            if (!File.Exists(inPath) && !Directory.Exists(inPath)) throw new ReelException($"input not found: {inPath}");
            job.RefuseFolderRate(r, inPath);
            // The plan needs the denoiser's channels (how frames are decoded) and the checkpoints'
            // identities, not a device: the networks are loaded on the CPU and never run here.
            var options = job.Build(r, FastBackend.Instance) with { Strict = r.GetValue(strict) };
            var source = options.OpenSource(inPath);
            if (File.Exists(work)) throw new ReelException($"{work} is a file; give a folder for the plan");
            using var claim = WorkFolderLock.Acquire(work, $"planning in {work}");
            // The workers encode the pieces with the plan's encoder: one this ffmpeg lacks fails here, not in each of them.
            options.Encode.Check(Path.Combine(work, "shot-00001.nut"), cancel, frameDurationNs: source.FrameDurationNs);
            // Another plan's pieces are refused before the film is decoded (a whole pass of a feature), where its settings show it.
            var settings = ShotPlanner.Settings(source, options);
            if (Readable(work) is { } earlier && RestorePipeline.Differing(earlier.Settings, settings) is { Count: > 0 } differing)
                RefuseOver(earlier, work, Said(differing));
            var plan = default(ShotPlan);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            ProgressDisplay.Run(mode, report =>
            {
                plan = ShotPlanner.Make(source, options, settings, job.Arguments(r), report, cancel);
                plan = plan with { InputFromWork = Path.GetRelativePath(work, plan.Input) };
                // Inside the display: its note is a `note` line under --progress json, as every other one.
                Keep(plan, work, note => report(new RestoreProgress(RestoreStage.Note, 0, 0, note, clock.Elapsed)));
            });
            Console.Error.WriteLine($"planned {plan!.Shots.Count} {(plan.Shots.Count == 1 ? "shot" : "shots")} of {plan.Frames} frames in {ShotPlan.PathIn(work)}");
            return 0;
        }, cancel, ended: progress.EndLine(r))));
        return cmd;
    }

    /// <summary>
    /// Writes the plan, unless the folder already holds one: the same plan again is kept as it is
    /// (a scheduler may rerun this step), a different one is refused while pieces of the old one
    /// are there (hours of work a changed option would throw away) or a worker is making one.
    /// A plan that cannot be read (damaged, an older reel's, deleted) is replaced: pieces are named
    /// by what made them, so none of its can pass for the new plan's, and those the new plan does not
    /// name are removed. Options that shape no frame (how often a worker saves its training) may change
    /// over pieces: the pieces are the new plan's too, and its workers run with the new options.
    /// </summary>
    private static void Keep(ShotPlan plan, string work, Action<string> note)
    {
        var old = Readable(work);
        bool samePieces = old is not null && SamePieces(old, plan);
        if (samePieces && old!.Arguments.SequenceEqual(plan.Arguments))
        {
            // The same film and options, the film at another path (the share mounted elsewhere): the pieces are this plan's.
            if (old.Input != plan.Input || old.InputFromWork != plan.InputFromWork) plan.Save(work);
            return;
        }
        string its = samePieces ? " (its options differ)" : "";
        if (old is not null && !samePieces)
        {
            var differences = Differences(old, plan);
            RefuseOver(old, work, differences);
            its = $" (its {differences})";
        }
        // A worker making a shot of the old plan would finish it with the old plan's settings.
        foreach (var claim in Directory.EnumerateFiles(work, "shot-*.lock"))
        {
            using var held = WorkFolderLock.TryAcquire(work, Path.GetFileName(claim), out var owner);
            if (held is null)
                throw new ReelException($"pid {owner} is restoring a shot of the plan in {work}{its}; wait for its workers to finish or stop them, then plan again");
        }
        plan.Save(work);
        var named = plan.Shots.SelectMany(s => new[] { plan.PiecePath(work, s), plan.TrainingPath(work, s) }).Select(p => Path.GetFileName(p))
            .ToHashSet(StringComparer.Ordinal);
        var strays = Directory.EnumerateFiles(work, "shot-*.nut").Where(p => !named.Contains(Path.GetFileName(p))).ToList();
        foreach (var stray in strays) File.Delete(stray);
        // A saved training of an earlier plan's shot is no shot's of this one (SavedTraining would refuse it): about 100 MB each.
        var trainings = ShotPlan.SavedTrainings(work).Where(p => !named.Contains(Path.GetFileName(p))).ToList();
        foreach (var stray in trainings) File.Delete(stray);
        var removed = new[] { (strays.Count, "piece"), (trainings.Count, "saved training") }.Where(r => r.Item1 > 0)
            .Select(r => $"{r.Item1} {r.Item2}{(r.Item1 == 1 ? "" : "s")}").ToList();
        if (removed.Count > 0) note($"removed {string.Join(" and ", removed)} of an earlier plan from {work}");
    }

    /// <summary>The plan in <paramref name="work"/>, or null where there is none this reel can read (what "make the plan again" points here for).</summary>
    private static ShotPlan? Readable(string work)
    {
        if (!File.Exists(ShotPlan.PathIn(work))) return null;
        try
        {
            return ShotPlan.Load(work);
        }
        catch (ReelException)
        {
            return null;
        }
    }

    /// <summary>
    /// Refuses to plan over <paramref name="old"/> while pieces of it, or its shots' saved trainings, are there: hours of work an
    /// option changed by mistake would throw away (a stopped worker's training, promised kept, was removed with a note).
    /// </summary>
    private static void RefuseOver(ShotPlan old, string work, string differences)
    {
        bool pieces = old.Shots.Any(s => File.Exists(old.PiecePath(work, s)));
        int trainings = old.Shots.Count(s => File.Exists(old.TrainingPath(work, s)));
        if (!pieces && trainings == 0) return;
        var held = pieces && trainings > 0 ? "pieces and saved trainings" : pieces ? "pieces" : trainings == 1 ? "a shot's saved training" : "shots' saved trainings";
        throw new ReelException($"{work} holds {held} of another plan (its {differences}); give a new folder, or delete that one to start over");
    }

    /// <summary>
    /// Whether two plans make the same pieces: the same frames, cuts and settings (everything that shapes a frame), whatever their
    /// options that shape none and wherever the input lies (it is known by what it holds).
    /// </summary>
    private static bool SamePieces(ShotPlan old, ShotPlan plan) =>
        old.Frames == plan.Frames
        && old.Settings.OrderBy(kv => kv.Key, StringComparer.Ordinal).SequenceEqual(plan.Settings.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        && old.Shots.SequenceEqual(plan.Shots);

    /// <summary>What sets the old plan of a folder apart from a new one, for the refusal: "encoder differs", "input, stabilize differ", else its options or cuts.</summary>
    private static string Differences(ShotPlan old, ShotPlan plan)
    {
        var keys = RestorePipeline.Differing(old.Settings, plan.Settings);
        if (keys.Count == 0) keys.Add(old.Arguments.SequenceEqual(plan.Arguments) ? "shots" : "options");
        return Said(keys);
    }

    private static string Said(List<string> keys) => $"{string.Join(", ", keys)} {(keys.Count == 1 ? "differs" : "differ")}";
}
