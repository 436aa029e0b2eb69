using System.Text.Json;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// A restore shared among processes (issue 21): `reel restore plan`, workers on shards
/// (`reel restore run --shard I/N`, also with --devices), `reel restore join`, against the
/// one-process `reel restore` with the same options, frame for frame.
/// </summary>
public class DistributedRestoreTests
{
    /// <summary>DnCNN, then the prior for one epoch without IRT: every stage that could make a worker's shot differ, at its cheapest.</summary>
    private static string[] JobOptions() =>
        new[] { "--denoiser", TestPaths.SharedData("weights/kair_dncnn_25.pth"), "--no-colorize", "--epochs", "1", "--no-irt" };

    private static ReelProcess.Result Reel(params string[] args)
    {
        var r = ReelProcess.Run(args);
        Assert.True(r.ExitCode == 0, $"reel {string.Join(' ', args)} exited {r.ExitCode}:\n{r.Stderr}");
        return r;
    }

    /// <summary>The shots whose pieces a worker saved, from its JSON progress lines.</summary>
    private static List<int> Saved(string stderr) => stderr.Split('\n').Where(l => l.StartsWith('{'))
        .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("stage").GetString() == "saved")
        .Select(e => e.GetProperty("shot").GetInt32() - 1).ToList();

    private static string[] Run(string work, string shard, params string[] extra) =>
        new[] { "restore", "run", work, "--shard", shard, "--device", "cpu", "--progress", "json" }.Concat(extra).ToArray();

    /// <summary>
    /// A plan is run by the reel of the day it runs, with the options recorded the day it was made: a check added since
    /// (--temperature beside --no-colorize is now refused) must not stop every worker of a plan made before it.
    /// </summary>
    [Fact]
    public void APlanRecordedBeforeANewCheckStillRuns()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        ReelProcess.PlanWithoutNetworks(input, work);
        var plan = ShotPlan.Load(work);
        // The default's value, so the plan's settings stand as they were recorded.
        (plan with { Arguments = plan.Arguments.Append("--temperature").Append("1").ToList() }).Save(work);
        Reel(Run(work, "0/1"));
        Reel("restore", "join", work, Path.Combine(dir, "out.mp4"), "--no-progress");
    }

    [Fact]
    public async Task ThreeWorkersOneKilledOneTwiceEqualOneProcess()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir);
        var work = Path.Combine(dir, "work");
        Reel(new[] { "restore", "plan", input, work, "--no-progress" }.Concat(JobOptions()).ToArray());
        var plan = ShotPlan.Load(work);
        Assert.True(plan.Shots.Count >= 5, $"the clip should cut into at least 5 shots, the plan has {plan.Shots.Count}");
        var shards = Enumerable.Range(0, 3).Select(i => new Shard(i, 3).ShotsOf(plan).Select(s => s.Index).ToList()).ToList();
        Assert.All(shards, s => Assert.True(s.Count >= 2, $"every shard should hold two shots or more: {string.Join(" | ", shards.Select(x => string.Join(',', x)))}"));

        // Shard 0, killed in the middle of its second shot (held as its piece's encoder starts):
        // its first piece stays, the second is not there, and its training, done, is saved beside where it goes:
        // the worker's own --save-every 0 saved it after each step (the plan's minute would not have come).
        var second = plan.PiecePath(work, plan.Shots[shards[0][1]]);
        using (var held = FfmpegWrapper.WaitingWhenWriting(Path.GetFileNameWithoutExtension(second) + "."))
        using (var doomed = ReelProcess.Start(held.Environment, Run(work, "0/3", "--save-every", "0")))
        {
            held.WaitForJoin(doomed);
            doomed.Kill();
            doomed.WaitForExit();
        }
        Assert.True(ShardWorker.IsSound(work, plan, plan.Shots[shards[0][0]], default), "the piece finished before the kill was lost");
        Assert.False(File.Exists(second), "a piece of the shot in progress was kept");
        var training = plan.TrainingPath(work, plan.Shots[shards[0][1]]);
        Assert.True(File.Exists(training), "the shot in progress kept no training");
        var rerun = Reel(Run(work, "0/3"));
        Assert.Contains("1 of 2 already done", rerun.Stderr);
        var taken = plan.Shots[shards[0][1]];
        Assert.Contains($"shot {taken.Number} (frames {taken.First}–{taken.Last}): its prior was trained by the interrupted run", rerun.Stderr);
        Assert.False(File.Exists(training), "the training outlived its shot's piece");
        // The kept piece's frames counted done of the shard's, as a resumed restore counts them (it said "0/?" and "1 pieces").
        var resumed = rerun.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("stage").GetString() == "resume");
        Assert.Equal(plan.Shots[shards[0][0]].Frames, resumed.GetProperty("done").GetInt64());
        Assert.Equal(shards[0].Sum(i => plan.Shots[i].Frames), resumed.GetProperty("total").GetInt64());
        Assert.Equal("1 piece kept from earlier runs", resumed.GetProperty("detail").GetString());
        Assert.Equal(new[] { shards[0][1] }, Saved(rerun.Stderr));
        // What the killed worker's encoder left (a temporary carrying its pid) went with the rerun.
        Assert.Empty(Directory.GetFiles(work, ".shot-*"));
        // How often a worker saves shapes no frame: planned again with another interval, the pieces made stay the plan's.
        var pieces = Directory.GetFiles(work, "shot-*.nut").Order().ToArray();
        Reel(new[] { "restore", "plan", input, work, "--no-progress", "--save-every", "30" }.Concat(JobOptions()).ToArray());
        Assert.Contains("30", ShotPlan.Load(work).Arguments);
        Assert.Equal(pieces, Directory.GetFiles(work, "shot-*.nut").Order());

        // Shard 1, started twice at once: both finish, and no shot is made by both.
        using (var a = ReelProcess.Start(new Dictionary<string, string>(), Run(work, "1/3")))
        using (var b = ReelProcess.Start(new Dictionary<string, string>(), Run(work, "1/3")))
        {
            var (readA, readB) = (a.StandardError.ReadToEndAsync(), b.StandardError.ReadToEndAsync());
            var (errA, errB) = (await readA, await readB);
            await a.WaitForExitAsync();
            await b.WaitForExitAsync();
            Assert.True(a.ExitCode == 0 && b.ExitCode == 0, $"exits {a.ExitCode}, {b.ExitCode}:\n{errA}\n---\n{errB}");
            var (savedA, savedB) = (Saved(errA), Saved(errB));
            Assert.Empty(savedA.Intersect(savedB));
            Assert.Equal(shards[1], savedA.Concat(savedB).Order());
        }

        // Shard 2 not run yet: the join refuses and names it.
        var output = Path.Combine(dir, "sharded.mp4");
        var early = ReelProcess.Run("restore", "join", work, output, "--no-progress");
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("rerun shard 2/3", early.Stderr);
        // Its shots by the numbers progress gave them (from 1), as their pieces are named.
        Assert.Contains($"shots {string.Join(", ", shards[2].Select(i => i + 1))} (shot {shards[2][0] + 1}: missing", early.Stderr);
        // A command to paste, the folder quoted where the shell needs it (the test folders' names need none).
        Assert.Contains($"(reel restore run {work} --shard 2/3 for the first)", early.Stderr);
        Assert.False(File.Exists(output));

        Reel(Run(work, "2/3"));
        Reel("restore", "join", work, output, "--no-progress");
        var single = Path.Combine(dir, "single.mp4");
        Reel(new[] { "restore", input, single, "--device", "cpu", "--no-progress" }.Concat(JobOptions()).ToArray());

        var (expected, got) = (Media.DecodedFrames(single), Media.DecodedFrames(output));
        Assert.Equal(plan.Frames, Media.CountFrames(output));
        Assert.Contains(got, l => l.StartsWith("1,"));
        Assert.Equal(expected, got);
    }

    [Fact]
    public void DevicesRunOneWorkerEachOnItsPart()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        ReelProcess.PlanWithoutNetworks(input, work);
        // A worker's error is given again in the run's own: "exited with 1" alone sent the user to run again what could not succeed.
        var away = Path.Combine(dir, "away.mp4");
        File.Move(input, away);
        var failed = ReelProcess.Run("restore", "run", work, "--devices", "0,1", "--device", "cpu", "--no-progress");
        Assert.Equal(1, failed.ExitCode);
        var last = failed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Matches(@"^reel: error: the worker on device 0 \(shard 0/2\) exited with 1 \([^)]*not found[^;]*\); the worker on device 1 .*; once that is dealt with, run the same command again", last);
        File.Move(away, input);
        var r = Reel("restore", "run", work, "--devices", "0,1", "--device", "cpu", "--no-progress");
        Assert.Contains("[device 0] note: shard 0/2", r.Stderr);
        Assert.Contains("[device 1] note: shard 1/2", r.Stderr);
        // Two CPU workers on one machine only compete for its cores: said, where it ran without a word.
        Assert.Contains("note: --device cpu: the 2 workers share this machine's CPU cores", r.Stderr);
        var pids = new[] { 0, 1 }.Select(i => JsonDocument.Parse(File.ReadAllText(ShardWorker.RecordPath(work, new Shard(i, 2)))).RootElement)
            .Select(e => (e.GetProperty("Pid").GetInt32(), e.GetProperty("Finished").ValueKind)).ToList();
        Assert.NotEqual(pids[0].Item1, pids[1].Item1);
        Assert.All(pids, p => Assert.Equal(JsonValueKind.String, p.Item2));

        // A join writes a video only: its refusals say so, not "or a folder of frames" as a restore's do.
        foreach (var (name, not) in new[] { ("out.mpg", "not a .mpg file"), ("frames", "not a folder of frames") })
        {
            var refused = ReelProcess.Run("restore", "join", work, Path.Combine(dir, name), "--no-progress");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains($"a join writes a video file (.mp4, .mkv, .mov, .avi, .webm, .m4v, .ts, .nut), {not}; give a name with one of those extensions", refused.Stderr);
        }
        // The review copy, as a one-process restore writes it: the join is the run that writes the restored video.
        var output = Path.Combine(dir, "sharded.mkv");
        var review = Path.Combine(dir, "review.mp4");
        Reel("restore", "join", work, output, "--no-progress", "--side-by-side", review);
        var (joined, reviewed) = (VideoFile.Probe(output), VideoFile.Probe(review));
        Assert.Equal((2 * joined.Width, joined.Height), (reviewed.Width, reviewed.Height));
        Assert.Equal(Media.CountFrames(output), Media.CountFrames(review));
        var single = Path.Combine(dir, "single.mkv");
        Reel(new[] { "restore", input, single, "--no-progress" }.Concat(ReelProcess.NoNetworks).ToArray());
        Assert.Equal(Media.DecodedFrames(single), Media.DecodedFrames(output));
    }

    /// <summary>A plan says what a restore says of its input before the first frame: a colour film's colours were lost without a word.</summary>
    [Fact]
    public void APlanSaysWhatARestoreSaysOfItsInput()
    {
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "colour.mp4");
        Ffmpeg.Run(Ffmpeg.FfmpegPath, ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "6", "-c:v", "libx264", "-pix_fmt", "yuv420p", input],
            ReadOnlyMemory<byte>.Empty, input);
        var r = ReelProcess.Run(new[] { "restore", "plan", input, Path.Combine(dir, "work"), "--progress", "json" }.Concat(ReelProcess.NoNetworks).ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        var notes = r.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("stage").GetString() == "note").Select(e => e.GetProperty("detail").GetString()).ToList();
        Assert.Contains(notes, n => n!.StartsWith($"{input} is in colour") && n.EndsWith("its own colours are not kept"));
    }

    [Fact]
    public void APlanIsKeptAnotherRefusedAndAChangedInputNoticed()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        string[] Plan(params string[] extra) => new[] { "restore", "plan", input, work, "--no-progress" }.Concat(ReelProcess.NoNetworks).Concat(extra).ToArray();
        // An encoder this ffmpeg lacks is refused by the plan, not by every worker at its first piece.
        var missing = ReelProcess.Run(Plan("--encoder", "libnothing"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Unknown encoder 'libnothing'", missing.Stderr);
        Assert.False(File.Exists(ShotPlan.PathIn(work)));
        Reel(Plan());
        var written = File.GetLastWriteTimeUtc(ShotPlan.PathIn(work));
        Reel(Plan());
        Assert.Equal(written, File.GetLastWriteTimeUtc(ShotPlan.PathIn(work)));
        // A stopped worker's saved training is work as a piece is: another plan over it is refused (it was removed, with a note).
        var first = ShotPlan.Load(work);
        var training = first.TrainingPath(work, first.Shots[0]);
        File.WriteAllText(training, "a saved training");
        var overTraining = ReelProcess.Run(Plan("--crf", "30"));
        Assert.Equal(1, overTraining.ExitCode);
        Assert.Contains($"{work} holds a shot's saved training of another plan (its encoder differs); give a new folder", overTraining.Stderr);
        Assert.True(File.Exists(training));
        File.Delete(training);
        Reel("restore", "run", work, "--shard", "0/4", "--no-progress");

        var other = ReelProcess.Run(Plan("--crf", "30"));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("holds pieces of another plan (its encoder differs)", other.Stderr);
        // Before the film is decoded: it was refused only after a whole pass over it.
        Assert.DoesNotContain("plan: ", other.Stderr);

        // Other bytes (here one more at the end) are another film, for the workers and for the join.
        File.AppendAllText(input, "\0");
        var changed = ReelProcess.Run("restore", "run", work, "--shard", "1/4", "--no-progress");
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("does not reproduce the plan", changed.Stderr);
        Assert.Contains("input:", changed.Stderr);
        var join = ReelProcess.Run("restore", "join", work, Path.Combine(dir, "out.mp4"), "--no-progress");
        Assert.Equal(1, join.ExitCode);
        Assert.Contains($"the input {Path.GetFullPath(input)} is not what the plan was made from", join.Stderr);

        // A damaged plan says "make the plan again", and planning again replaces it. With the same options it finds the
        // pieces already made (their names say what made them; the film's one more byte changed no frame).
        var pieces = Directory.GetFiles(work, "shot-*.nut").Order().ToArray();
        Assert.NotEmpty(pieces);
        File.WriteAllText(ShotPlan.PathIn(work), "{");
        Reel(Plan());
        Assert.Equal(pieces, Directory.GetFiles(work, "shot-*.nut").Order());
        Assert.Contains($"{pieces.Length} of {pieces.Length} already done", Reel("restore", "run", work, "--shard", "0/4", "--no-progress").Stderr);
        // Over a deleted plan, other options: the old pieces were taken as the new plan's and joined into its film.
        File.Delete(ShotPlan.PathIn(work));
        var replanned = Reel(Plan("--crf", "30"));
        Assert.Contains($"note: removed {pieces.Length} {(pieces.Length == 1 ? "piece" : "pieces")} of an earlier plan", replanned.Stderr);
        Assert.Empty(Directory.GetFiles(work, "shot-*.nut"));
        Assert.Contains($"0 of {pieces.Length} already done", Reel("restore", "run", work, "--shard", "0/4", "--no-progress").Stderr);
    }

    /// <summary>
    /// Planned again while a worker runs: refused while it holds a shot; a plan changed all the same
    /// (one begun between two shots is saved once it has decoded the film, during the next shot: here
    /// written over) ends the worker without a piece of the old plan. The worker had gone on with the
    /// old settings and the join mixed them.
    /// </summary>
    [Fact]
    public void APlanChangedUnderAWorkerIsRefusedOrStopsIt()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        string[] Plan(params string[] extra) => new[] { "restore", "plan", input, work, "--no-progress" }.Concat(ReelProcess.NoNetworks).Concat(extra).ToArray();
        Reel(Plan());
        using (var held = FfmpegWrapper.WaitingWhenWriting("shot-00001-"))
        using (var worker = ReelProcess.Start(held.Environment, Run(work, "0/1")))
        {
            var stderr = worker.StandardError.ReadToEndAsync();
            held.WaitForJoin(worker);
            var again = ReelProcess.Run(Plan("--crf", "30"));
            Assert.Equal(1, again.ExitCode);
            Assert.Contains($"pid {worker.Id} is restoring a shot of the plan in {work} (its encoder differs)", again.Stderr);
            // Planned again all the same: the worker keeps no piece of the old plan.
            var plan = ShotPlan.Load(work);
            (plan with { Arguments = plan.Arguments.Append("--crf").Append("30").ToList() }).Save(work);
            held.Dispose();
            worker.WaitForExit();
            Assert.Equal(1, worker.ExitCode);
            Assert.True(stderr.Result.Contains($"the plan in {work} changed while this worker ran (planned again): shot 1's piece is not kept"), stderr.Result[^Math.Min(600, stderr.Result.Length)..]);
        }
        Assert.Empty(Directory.GetFiles(work, "shot-*.nut"));
    }

    /// <summary>
    /// Each node with its own copy of the film and its own weights cache (another home, another time):
    /// the same bytes are the same plan; a cache holding another checkpoint is refused by name.
    /// </summary>
    [Fact]
    public void NodesWithTheirOwnCopiesOfTheSameFilmAndWeightsAgree()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        Dictionary<string, string> Node(string name, string checkpoint)
        {
            var cache = Path.Combine(dir, name);
            Directory.CreateDirectory(cache);
            var path = Path.Combine(cache, "dncnn_gray_blind.pth");
            File.Copy(TestPaths.SharedData(checkpoint), path);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(name.Length));
            return new Dictionary<string, string> { ["REEL_WEIGHTS"] = cache };
        }
        string[] Run(string shard) => new[] { "restore", "run", work, "--shard", shard, "--device", "cpu", "--no-progress" };
        var (planner, worker, stranger) = (Node("a", "weights/kair_dncnn_25.pth"), Node("node-b", "weights/kair_dncnn_25.pth"),
            Node("node-cc", "weights/saoyan/DnCNN-S-25.pth"));
        var r = ReelProcess.RunWithEnvironment(planner, "restore", "plan", input, work, "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // The default checkpoint is each node's own: the plan holds its hash, not node a's path.
        Assert.DoesNotContain("--denoiser", ShotPlan.Load(work).Arguments);
        // The film copied to where the workers read it: a new time, the same bytes.
        File.SetLastWriteTimeUtc(input, DateTime.UtcNow.AddHours(5));

        r = ReelProcess.RunWithEnvironment(worker, Run("0/2"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = ReelProcess.RunWithEnvironment(stranger, Run("1/2"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("does not reproduce the plan", r.Stderr);
        Assert.Contains("denoiser: sha256 ", r.Stderr);
        r = ReelProcess.RunWithEnvironment(worker, Run("1/2"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Reel("restore", "join", work, Path.Combine(dir, "out.mkv"), "--no-progress");

        // Its own piece as the output (a typo away) is refused, and the piece stays as it was.
        var plan = ShotPlan.Load(work);
        var piece = plan.PiecePath(work, plan.Shots[0]);
        var before = File.ReadAllBytes(piece);
        r = ReelProcess.Run("restore", "join", work, piece, "--no-progress");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{piece} is in the work folder {work}, among the pieces; give a path outside it", r.Stderr);
        Assert.Equal(before, File.ReadAllBytes(piece));
    }

    /// <summary>
    /// A share mounted at another path on the workers' nodes (here: moved after planning): the input is found where it
    /// lies from the work folder, as it did where the plan was made; it was "input not found" at the planner's path, and
    /// with that path edited, "not what the plan was made from" (the same bytes, another path).
    /// </summary>
    [Fact]
    public void AShareMountedElsewhereFindsItsInputFromTheWorkFolder()
    {
        var dir = TestPaths.NewTempDir();
        var share = Directory.CreateDirectory(Path.Combine(dir, "share")).FullName;
        var input = Media.MakeShots(share, framesPerShot: 2);
        ReelProcess.PlanWithoutNetworks(input, Path.Combine(share, "work"));
        var mounted = Path.Combine(dir, "mnt", "share");
        Directory.CreateDirectory(Path.GetDirectoryName(mounted)!);
        Directory.Move(share, mounted);
        var work = Path.Combine(mounted, "work");
        Reel("restore", "run", work, "--shard", "0/1", "--device", "cpu", "--no-progress");
        Reel("restore", "join", work, Path.Combine(dir, "out.mkv"), "--no-progress");
        Assert.Equal(ShotPlan.Load(work).Frames, Media.CountFrames(Path.Combine(dir, "out.mkv")));
        var moved = Path.Combine(mounted, Path.GetFileName(input));
        File.Move(moved, moved + ".away");
        var r = ReelProcess.Run("restore", "join", work, Path.Combine(dir, "again.mkv"), "--no-progress");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"input not found: {input} (the plan's input), nor at {moved} (where it lay from the work folder)", r.Stderr);
        File.Move(moved + ".away", moved);

        // Planned again where it is now: the same film and options, so the same pieces (it was "another plan: its input differs").
        var replanned = ReelProcess.PlanWithoutNetworks(moved, work);
        Assert.DoesNotContain("removed", replanned.Stderr);
        Assert.Equal(moved, ShotPlan.Load(work).Input);
        Assert.Contains("already done", Reel("restore", "run", work, "--shard", "0/1", "--device", "cpu", "--no-progress").Stderr);
    }

    [Fact]
    public void PiecesTheOutputCannotHoldAreEncodedAgainAtTheJoin()
    {
        var dir = TestPaths.NewTempDir();
        // A variable rate: every frame's time must survive the second encode.
        var input = Media.MakeClip(dir, seconds: 1.2, vfr: true);
        var work = Path.Combine(dir, "work");
        ReelProcess.PlanWithoutNetworks(input, work, "--max-shot-frames", "4");
        Reel("restore", "run", work, "--no-progress");
        var copied = Path.Combine(dir, "copied.mkv");
        Assert.DoesNotContain("encoding it again", Reel("restore", "join", work, copied, "--no-progress").Stderr);
        Assert.Equal(new[] { "video:h264", "audio:aac" }, Media.Streams(copied));

        // WebM holds VP8, VP9 and AV1 only: the plan's H.264 pieces failed this join after the whole film.
        var webm = Path.Combine(dir, "out.webm");
        var r = Reel("restore", "join", work, webm, "--no-progress");
        Assert.Contains("the pieces' video does not fit .webm; encoding it again with libvpx-vp9", r.Stderr);
        Assert.Equal(new[] { "video:vp9", "audio:opus" }, Media.Streams(webm));
        // Every frame where a one-process restore into WebM puts it (both shifted alike by the Opus
        // audio's priming), to Matroska's millisecond.
        var single = Path.Combine(dir, "single.webm");
        Reel(new[] { "restore", input, single, "--max-shot-frames", "4", "--no-progress" }.Concat(ReelProcess.NoNetworks).ToArray());
        var (times, webmTimes) = (Media.FrameTimes(single), Media.FrameTimes(webm));
        Assert.Equal(times.Count, webmTimes.Count);
        for (int i = 0; i < times.Count; i++)
            Assert.True(Math.Abs(times[i] - webmTimes[i]) < 1.5e-3, $"frame {i}: {webmTimes[i]:F6} s in the joined WebM, {times[i]:F6} s in one process's");
        var (pictures, webmPictures) = (Gray(copied), Gray(webm));
        Assert.Equal(pictures.Length, webmPictures.Length);
        double meanDiff = pictures.Zip(webmPictures, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanDiff < 3, $"the WebM's frames differ from the pieces' by {meanDiff:F2} levels on average");

        // An AVI times a frame by its place: the pieces' B-frames, copied, showed two ticks late, behind the sound.
        var avi = Path.Combine(dir, "out.avi");
        r = Reel("restore", "join", work, avi, "--no-progress");
        Assert.Contains("the pieces' video stores frames out of order (B-frames), which an AVI would show late, behind the sound; encoding it again with libx264", r.Stderr);
        var (inputTimes, aviTimes) = (Media.FrameTimes(input), Media.AviFrameTimes(avi));
        Assert.Equal(inputTimes.Count, aviTimes.Count);
        for (int i = 0; i < inputTimes.Count; i++)
            Assert.True(Math.Abs(inputTimes[i] - aviTimes[i]) < 1e-6, $"frame {i}: {aviTimes[i]:F6} s in the joined AVI, {inputTimes[i]:F6} s in the input");
        double aviDiff = pictures.Zip(Gray(avi), (a, b) => Math.Abs(a - b)).Average();
        Assert.True(aviDiff < 3, $"the AVI's frames differ from the pieces' by {aviDiff:F2} levels on average");

        // A folder that takes no file (full, read-only; a stand-in ffmpeg plays the full disk) is said as
        // such: it was taken for an .mp4 the pieces do not fit, with advice to plan with the encoder they had.
        var full = Path.Combine(dir, "full");
        Directory.CreateDirectory(full);
        r = ReelProcess.RunWithEnvironment(Media.FullDiskFfmpeg(), "restore", "join", work, Path.Combine(full, "out.mp4"), "--no-progress");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("No space left on device", r.Stderr);
        Assert.DoesNotContain("does not fit", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(full));
    }

    /// <summary>Every frame of a video's first video stream, gray, one byte a pixel.</summary>
    private static byte[] Gray(string path) => Ffmpeg.Run(Ffmpeg.FfmpegPath,
        new[] { "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-" },
        ReadOnlyMemory<byte>.Empty, path);
}
