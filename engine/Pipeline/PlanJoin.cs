using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// The last step of a distributed restore (<c>reel restore join WORKDIR OUTPUT</c>): every shot's
/// piece is read back (in parallel, they are independent); if any is missing or damaged the join
/// refuses, naming the shots and the shards to run again; otherwise the pieces are joined by stream
/// copy with the input's audio, subtitles and timestamps, exactly as a one-process restore joins
/// its own (<see cref="VideoSegments.Join"/>).
/// </summary>
public static class PlanJoin
{
    private static readonly Regex ShardRecordName = new(@"^shard-(\d+)-of-(\d+)\.json$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Joins the pieces in <paramref name="workdir"/> into <paramref name="output"/> (a video file),
    /// holding the work folder's lock meanwhile; a <see cref="ReelException"/> when the plan is
    /// missing or stale, the output is a folder, or a piece is missing or damaged.
    /// </summary>
    /// <param name="joining">
    /// How the plan's options read the input (<see cref="RestoreOptions.OpenSource"/>; no networks needed): the
    /// streams copied in follow what the workers restored (a range cut alike, the start timecode moved with
    /// it or counted at the film's rate where telecine was removed); and its encoder's quality, for pieces the
    /// output's kind of file cannot hold (<see cref="VideoSegments.Join"/>).
    /// </param>
    /// <param name="progress">Told when the join starts and about streams that had to be converted or left out.</param>
    public static void Run(string workdir, string output, RestoreOptions joining, Action<RestoreProgress>? progress = null, CancellationToken cancel = default)
    {
        workdir = Path.GetFullPath(workdir);
        var plan = ShotPlan.Load(workdir);
        var clock = Stopwatch.StartNew();
        void Note(string text) => progress?.Invoke(new RestoreProgress(RestoreStage.Note, 0, 0, text, clock.Elapsed));
        // Into the work folder, the join would write over a piece (a typo away: shot-00001.nut is a video name).
        for (var folder = Path.GetDirectoryName(Path.GetFullPath(output)); folder is not null; folder = Path.GetDirectoryName(folder))
            if (FileIdentity.Same(folder, workdir))
                throw new ReelException($"{output} is in the work folder {workdir}, among the pieces; give a path outside it");
        var input = plan.InputIn(workdir);
        // Before the checks a restore makes, whose advice offers a folder of frames, which a join does not write.
        if (!VideoFile.IsWrittenVideoPath(output))
            throw new ReelException($"{output}: a join writes a video file ({VideoFile.WrittenList}), not " +
                                    (output == "-" ? "to standard output" : Path.GetExtension(output) is { Length: > 0 } ext ? $"a {ext} file" : "a folder of frames") +
                                    "; give a name with one of those extensions");
        RestorePipeline.CheckOutput(input, output);
        if (RestorePipeline.Describe(input) is var now && plan.Settings.GetValueOrDefault("input") != now)
            throw new ReelException($"the input {input} is not what the plan was made from: {now} now, {plan.Settings.GetValueOrDefault("input")} in the plan");
        using var claim = WorkFolderLock.Acquire(workdir, $"joining {workdir}");

        var problems = new string?[plan.Shots.Count];
        Parallel.For(0, plan.Shots.Count, new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = Environment.ProcessorCount },
            k => problems[k] = ShardWorker.Problem(workdir, plan, plan.Shots[k], cancel));
        var bad = plan.Shots.Where(s => problems[s.Index] is not null).ToList();
        if (bad.Count > 0) throw new ReelException(Missing(workdir, plan, bad, problems));

        progress?.Invoke(new RestoreProgress(RestoreStage.Join, plan.Frames, plan.Frames,
            plan.Shots.Count == 1 ? "1 piece" : $"{plan.Shots.Count} pieces", clock.Elapsed));
        var streams = Directory.Exists(input) ? null : joining.OpenSource(input).StreamSource;
        VideoSegments.Join(plan.Shots.Select(s => new VideoPiece(plan.PiecePath(workdir, s), s.FirstPtsNs, s.Frames)).ToList(),
            output, streams, Note, cancel, piecesVerified: true, encode: joining.Encode, madeWith: joining.Encode.For(null));
    }

    /// <summary>The refusal: which shots lack a sound piece, why, and which shards to run again (with every shard count a worker has run with here).</summary>
    private static string Missing(string workdir, ShotPlan plan, List<PlannedShot> bad, string?[] problems)
    {
        string Shots(IEnumerable<PlannedShot> shots) => string.Join(", ", shots.Select(s => s.Number.ToString(CultureInfo.InvariantCulture)));
        var reasons = bad.Take(3).Select(s =>
        {
            using var held = WorkFolderLock.TryAcquire(workdir, ShardWorker.ClaimName(s), out var owner);
            return $"shot {s.Number}: {problems[s.Index]}{(held is null ? $" (pid {owner} is making it now)" : "")}";
        });
        var counts = Directory.EnumerateFiles(workdir, "shard-*.json").Select(p => ShardRecordName.Match(Path.GetFileName(p)))
            .Where(m => m.Success).Select(m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).Distinct().Order().ToList();
        // The first shard to run again as a command to paste: the folder quoted for the shell where it needs it.
        string folder = workdir.All(c => char.IsLetterOrDigit(c) || "/._-+=:,@".Contains(c)) ? workdir : $"'{workdir.Replace("'", @"'\''")}'";
        var rerun = counts.Count == 0
            ? "no worker has recorded its shard here: run 'reel restore run' on the shards that hold them"
            : "rerun " + string.Join(" or ", counts.Select(n =>
                  string.Join(", ", bad.Select(s => Shard.Of(plan, s, n)).Distinct().Select(i => $"shard {i}/{n}"))))
              + $" (reel restore run {folder} --shard {Shard.Of(plan, bad[0], counts[0])}/{counts[0]} for the first), then join again";
        return $"{bad.Count} of {plan.Shots.Count} pieces are missing or damaged, shots {Shots(bad)} ({string.Join("; ", reasons)}{(bad.Count > 3 ? "; …" : "")}); {rerun}";
    }
}
