using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Reel.Engine.Backends;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Restores one shard of a plan (<c>reel restore run WORKDIR --shard I/N</c>): each of its shots to
/// its own piece in the work folder, <c>shot-NNNNN-STAMP.nut</c> (<see cref="ShotPlan.PiecePath"/>), through the same
/// <see cref="ShotRestorer"/> as a one-process restore. Idempotent and safe to run twice:
/// <list type="bullet">
/// <item>a shot whose piece is there and reads back whole (every frame) is skipped;</item>
/// <item>a shot is claimed before it is made (an flock on <c>shot-NNNNN.lock</c>, released by the
/// kernel however the holder ends); a shot another process holds is left to it and waited for at
/// the end, then made here if that process died without finishing it;</item>
/// <item>a piece is written to a temporary that carries this process's id, read back, and renamed
/// into place: a killed worker loses only the shot it was making, and its temporary is removed by
/// the next writer of that piece. Even where the shared volume has no working flock, two workers
/// on one shot only duplicate work: each rename puts a whole, verified piece in place.</item>
/// </list>
/// Before a piece is kept, the hash of the frames decoded here must equal the plan's, so every
/// worker restored exactly the frames the plan cut (not another ffmpeg's idea of them).
/// </summary>
public static class ShardWorker
{
    private const int FramesDecodedAhead = 4;
    private static readonly TimeSpan ClaimPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>The lock file that claims <paramref name="shot"/> in a work folder.</summary>
    public static string ClaimName(PlannedShot shot) => $"shot-{shot.Number:D5}.lock";

    /// <summary>The record a worker for <paramref name="shard"/> keeps in <paramref name="workdir"/>.</summary>
    public static string RecordPath(string workdir, Shard shard) => Path.Combine(workdir, $"shard-{shard.Index}-of-{shard.Count}.json");

    /// <param name="options">The plan's options as this process rebuilt them (networks loaded); they must give the plan's settings.</param>
    public static void Run(string workdir, ShotPlan plan, Shard shard, RestoreOptions options, IBackend backend,
        Action<RestoreProgress>? progress = null, CancellationToken cancel = default)
    {
        workdir = Path.GetFullPath(workdir);
        options.ValidateTemporal();
        var source = options.OpenSource(plan.InputIn(workdir));
        CheckSettings(plan, RestorePipeline.Settings(source, options), workdir);
        var memory = MemoryPlan.For(source.Width, source.Height, options);
        var clock = Stopwatch.StartNew();
        var shots = shard.ShotsOf(plan);
        var planned = PlanStamp(workdir);
        var record = new ShardRecord(shard.ToString(), Environment.MachineName, Environment.ProcessId, DateTime.UtcNow, null, shots.Select(s => s.Number).ToList());
        Save(workdir, shard, record);

        var pending = shots.Where(s => !IsSound(workdir, plan, s, cancel)).ToList();
        // Counted as a one-process restore counts a resumed run: the shard's frames, those kept already done.
        long total = shots.Sum(s => (long)s.Frames), kept = total - pending.Sum(s => (long)s.Frames), position = kept;
        var meter = options.NewMeter(kept);
        void Report(RestoreProgress p, double? exactDone = null) => progress?.Invoke(meter.Measure(p, exactDone));
        void Note(string text) => Report(new RestoreProgress(RestoreStage.Note, 0, 0, text, clock.Elapsed));
        Note(shots.Count == 0
            ? $"shard {shard}: no shots (the plan has {plan.Shots.Count}, fewer than the shards)"
            : $"shard {shard}: {(shots.Count == 1 ? $"shot {shots[0].Number}" : $"shots {shots[0].Number}–{shots[^1].Number}")} " +
              $"({(shots[0].First == shots[^1].Last ? $"frame {shots[0].First}" : $"frames {shots[0].First}–{shots[^1].Last}")}), " +
              $"{shots.Count - pending.Count} of {shots.Count} already done");
        if (pending.Count < shots.Count)
            Report(new RestoreProgress(RestoreStage.Resume, kept, total,
                shots.Count - pending.Count == 1 ? "1 piece kept from earlier runs" : $"{shots.Count - pending.Count} pieces kept from earlier runs", clock.Elapsed));

        var restorer = new ShotRestorer(source, options, memory, backend, total, clock, Report, cancel);
        using var film = new FilmReader(source, restorer.Format, cancel);
        var held = new List<(PlannedShot Shot, string Owner)>();
        foreach (var shot in pending)
        {
            using var claim = WorkFolderLock.TryAcquire(workdir, ClaimName(shot), out var owner);
            if (claim is null)
            {
                held.Add((shot, owner));
                continue;
            }
            // Another worker may have finished it between the check above and the claim.
            if (IsSound(workdir, plan, shot, cancel)) continue;
            Restore(shot);
        }
        foreach (var (shot, owner) in held)
        {
            Note($"waiting for shot {shot.Number}, which pid {owner} is making");
            using var claim = Wait(workdir, shot, cancel);
            if (IsSound(workdir, plan, shot, cancel))
            {
                Note($"shot {shot.Number} was finished by pid {owner}");
                continue;
            }
            Note($"shot {shot.Number} was left unfinished by pid {owner}; making it here");
            Restore(shot);
        }
        Save(workdir, shard, record with { Finished = DateTime.UtcNow });
        return;

        void Restore(PlannedShot shot)
        {
            CheckPlan(shot);
            using var work = restorer.Begin(shot.Index, shot.First, shot.FirstPtsNs, position, plan.PiecePath(workdir, shot), plan.TrainingPath(workdir, shot));
            foreach (var f in film.Frames(shot)) restorer.Add(work, f);
            if (work.InputSha256 != shot.Sha256)
                throw new ReelException($"shot {shot.Number} (frames {shot.First}–{shot.Last}) decodes differently on this machine than where the plan was made " +
                                        "(another ffmpeg, or the input changed): its piece is not made; plan again where the workers run, or use the same ffmpeg");
            restorer.Finish(work, _ => CheckPlan(shot, plan.PiecePath(workdir, shot)));
            // The piece is whole: its training is done with.
            File.Delete(plan.TrainingPath(workdir, shot));
            position += shot.Frames;
        }

        // Planned again while this worker ran: the plan command refuses while a shot is claimed, but
        // a plan it began between two shots is saved when it has decoded the film, perhaps in the
        // middle of this one. A piece of the old plan must not stay among the new one's pieces.
        void CheckPlan(PlannedShot shot, string? made = null)
        {
            if (PlanStamp(workdir) == planned) return;
            if (made is not null) File.Delete(made);
            throw new ReelException($"the plan in {workdir} changed while this worker ran (planned again): shot {shot.Number}'s piece is not kept; run the shard again");
        }
    }

    /// <summary>The plan file's SHA-256 as it is now ("none" when it is gone).</summary>
    private static string PlanStamp(string workdir)
    {
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(ShotPlan.PathIn(workdir))));
        }
        catch (FileNotFoundException)
        {
            return "none";
        }
    }

    /// <summary>True when shot <paramref name="shot"/>'s piece is in <paramref name="workdir"/> and reads back with all its frames.</summary>
    public static bool IsSound(string workdir, ShotPlan plan, PlannedShot shot, CancellationToken cancel) => Problem(workdir, plan, shot, cancel) is null;

    /// <summary>What is wrong with shot <paramref name="shot"/>'s piece ("missing", what reading it back found), or null when it is sound.</summary>
    public static string? Problem(string workdir, ShotPlan plan, PlannedShot shot, CancellationToken cancel)
    {
        var path = plan.PiecePath(workdir, shot);
        if (!File.Exists(path)) return "missing";
        try
        {
            VideoVerifier.Verify(path, new VideoExpectation(shot.Frames, 0, 0), Path.GetFileName(path), cancel: cancel);
            return null;
        }
        catch (MediaException e)
        {
            return e.Message;
        }
    }

    /// <summary>Refuses to work with options that do not reproduce the plan's settings, naming each that differs.</summary>
    private static void CheckSettings(ShotPlan plan, IReadOnlyDictionary<string, string> mine, string workdir)
    {
        var differing = RestorePipeline.Contrast(mine, plan.Settings)
            .Select(d => $"{d.Setting}: {d.A ?? "none"} here, {d.B ?? "none"} in the plan").ToList();
        if (differing.Count > 0)
            throw new ReelException($"this machine does not reproduce the plan in {workdir}: {string.Join("; ", differing)}");
    }

    /// <summary>Claims shot <paramref name="shot"/>, waiting while another process holds it.</summary>
    private static WorkFolderLock Wait(string workdir, PlannedShot shot, CancellationToken cancel)
    {
        while (true)
        {
            var claim = WorkFolderLock.TryAcquire(workdir, ClaimName(shot), out _);
            if (claim is not null) return claim;
            cancel.WaitHandle.WaitOne(ClaimPoll);
            cancel.ThrowIfCancellationRequested();
        }
    }

    private static void Save(string workdir, Shard shard, ShardRecord record) => TempFile.WriteAtomically(RecordPath(workdir, shard),
        tmp => File.WriteAllText(tmp, JsonSerializer.Serialize(record, PlanJson.Default.ShardRecord)));

    /// <summary>
    /// The film's frames, read forward by one decoder (on its own thread) and handed out shot by
    /// shot; frames between this worker's shots are decoded and dropped without any network. A
    /// shot before the decoder's position (one another process left unfinished) restarts it.
    /// </summary>
    private sealed class FilmReader(FrameSource source, PixelFormat format, CancellationToken cancel) : IDisposable
    {
        private IEnumerator<SourceFrame>? _frames;
        private int _next;

        public IEnumerable<SourceFrame> Frames(PlannedShot shot)
        {
            if (_frames is null || _next > shot.First)
            {
                _frames?.Dispose();
                _frames = Prefetch.Ahead(source.Read(format, cancel), FramesDecodedAhead, cancel).GetEnumerator();
                _next = 0;
            }
            while (_next <= shot.Last)
            {
                if (!_frames.MoveNext())
                    throw new ReelException(string.Create(CultureInfo.InvariantCulture,
                        $"{source.SourcePath} ends at frame {_next}, before shot {shot.Number}'s last frame {shot.Last}: it is not the film the plan was made from"));
                var f = _frames.Current;
                _next++;
                if (f.Index >= shot.First) yield return f;
            }
        }

        public void Dispose() => _frames?.Dispose();
    }
}
