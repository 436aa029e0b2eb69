using System.Diagnostics;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// Stopped as schedulers stop jobs (issue 23, failure 4): SIGTERM ends a run within seconds in
/// training and in the join alike, with exit 143 (SIGINT: 130, in <see cref="ResumeTests"/>) and
/// the finished pieces and the training of the shot in progress kept; SIGHUP and a terminal that hangs up (an ssh session dropped) the same
/// way with exit 129; what a SIGKILL leaves (a joined temporary beside the output, frames spilled
/// to the temp folder) carries the dead run's pid and is removed by the next run.
/// </summary>
public class StopSignalTests
{
    /// <summary>How long a stopped run may take to exit: "within seconds", with room for a loaded CI machine.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    /// <summary>Sends SIGTERM (or <paramref name="signal"/>) and returns the exit code and stderr, failing unless the run ends within <see cref="Prompt"/>.</summary>
    private static (int Code, string Stderr) Terminate(Process p, Task<string> stderr, string signal = "TERM")
    {
        var clock = Stopwatch.StartNew();
        ReelProcess.Signal(p, signal);
        StoppedOrKilled(p, $"SIG{signal}");
        Assert.True(clock.Elapsed < Prompt, $"took {clock.Elapsed.TotalSeconds:F1} s to stop");
        // A child that outlived the run (a --devices worker) would hold stderr open.
        Assert.True(stderr.Wait(Prompt), $"stderr still open {Prompt.TotalSeconds} s after reel ended");
        return (p.ExitCode, stderr.Result);
    }

    /// <summary>
    /// Fails when <paramref name="p"/> has not ended <see cref="Prompt"/> after <paramref name="what"/>, killing it and its
    /// children first: left running, a run that ignored the signal (and its --devices workers) trained on beside the
    /// rest of the suite, and a CI run that took 15 minutes took 25.
    /// </summary>
    private static void StoppedOrKilled(Process p, string what)
    {
        if (p.WaitForExit((int)Prompt.TotalMilliseconds)) return;
        p.Kill(entireProcessTree: true);
        p.WaitForExit();
        Assert.Fail($"still running {Prompt.TotalSeconds} s after {what} (killed, with its children)");
    }

    /// <summary>
    /// Waits for the stderr line containing <paramref name="training"/> (the run is training), sends SIGTERM (or
    /// <paramref name="signal"/>, with its <paramref name="code"/>) and asserts that exit code and the interruption's
    /// message; returns the rest of stderr.
    /// </summary>
    private static string TerminateInTraining(Process p, string training, string signal = "TERM", int code = 143)
    {
        var lines = new List<string>();
        string? line;
        while ((line = p.StandardError.ReadLine()) is not null && !line.Contains(training)) lines.Add(line);
        Assert.True(line is not null, $"the run ended before training:\n{string.Join('\n', lines)}");
        var (exit, stderr) = Terminate(p, p.StandardError.ReadToEndAsync(), signal);
        Assert.True(exit == code, $"exit {exit}:\n{stderr}");
        Assert.Contains($"reel: interrupted by SIG{signal}", stderr);
        return stderr;
    }

    [Fact]
    public void SigtermStopsTrainingWithExit143()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        // Long training on 6 frames: the signal comes while the prior trains.
        using var p = ReelProcess.Start(new Dictionary<string, string>(), "restore", input, output, "--no-denoise", "--no-colorize",
            "--epochs", "500", "--no-irt", "--no-progress");
        var stderr = TerminateInTraining(p, "stabilize");
        Assert.Contains("the work done (finished shots, and the training of the shot in progress) is kept in", stderr);
        AssertOnlyTheTrainingIsKept(dir, output);
    }

    /// <summary>
    /// A run stopped as its first shot trains keeps nothing but that shot's training, saved as it stopped (whatever
    /// --save-every says): no output, no piece, no temporary.
    /// </summary>
    private static void AssertOnlyTheTrainingIsKept(string dir, string output)
    {
        Assert.False(File.Exists(output));
        var work = RestoreJob.FolderFor(output);
        Assert.Equal(new[] { Path.GetFileName(work), "in.mp4" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "job.json", "training-00001.safetensors" },
            Directory.GetFileSystemEntries(work).Select(Path.GetFileName).Where(n => n != WorkFolderLock.FileName).Order(StringComparer.Ordinal));
    }

    /// <summary>SIGHUP (the ssh session that started it dropped) stops a run as SIGTERM does, with exit 129: it ended it at once, leaving its temporaries.</summary>
    [Fact]
    public void SighupStopsTrainingWithExit129()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        using var p = ReelProcess.Start(new Dictionary<string, string>(), "restore", input, output, "--no-denoise", "--no-colorize",
            "--epochs", "500", "--no-irt", "--no-progress");
        TerminateInTraining(p, "stabilize", "HUP", 129);
        AssertOnlyTheTrainingIsKept(dir, output);
    }

    /// <summary>
    /// `--devices` passes SIGHUP on to its workers (as SIGTERM, as it passes SIGTERM), and ends once they have stopped; and
    /// its --save-every to them: saving after every step, each has its shot's training in the work folder before the signal.
    /// </summary>
    [Fact]
    public void SighupStopsEveryDeviceWorker()
    {
        var (p, work) = DevicesTraining("--save-every", "0");
        using var run = p;
        var stderrRest = p.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (ShotPlan.SavedTrainings(work).Count() < 2 && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(50);
        Assert.Equal(2, ShotPlan.SavedTrainings(work).Count());
        var (code, stderr) = Terminate(p, stderrRest, "HUP");
        Assert.True(code == 129, $"exit {code}:\n{stderr}");
        Assert.Contains("[device 0] reel: interrupted by SIGTERM", stderr);
        Assert.Contains("[device 1] reel: interrupted by SIGTERM", stderr);
        Assert.Contains("reel: interrupted by SIGHUP", stderr);
        Assert.Empty(Directory.GetFiles(work, ".shot-*"));
    }

    /// <summary>
    /// A `--devices` run killed outright (SIGKILL, the OOM killer) passes nothing on: the kernel sends its workers SIGTERM
    /// (PR_SET_PDEATHSIG) and each stops as on the run's own SIGTERM, its shot's training saved. They went on alone for
    /// their whole shard, holding the GPUs and the shot locks, with no one reading their lines.
    /// </summary>
    [Fact]
    public void AKilledDevicesRunTakesItsWorkersWithIt()
    {
        var (p, work) = DevicesTraining();
        using var run = p;
        var workers = ChildrenOf(p.Id);
        Assert.Equal(2, workers.Count);
        p.Kill();
        p.WaitForExit();
        var clock = Stopwatch.StartNew();
        while (workers.Any(Running) && clock.Elapsed < Prompt) Thread.Sleep(100);
        Assert.False(workers.Any(Running), $"workers {string.Join(", ", workers.Where(Running))} still run {Prompt.TotalSeconds} s after their parent was killed");
        Assert.Equal(2, ShotPlan.SavedTrainings(work).Count());
    }

    /// <summary>
    /// A `restore run --devices 0,1` (with <paramref name="extra"/> options) of a plan whose shots train long, once both workers
    /// train: so that each has its signal handled (one still starting would die of it).
    /// </summary>
    private static (Process Run, string Work) DevicesTraining(params string[] extra)
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        var work = Path.Combine(dir, "work");
        var plan = ReelProcess.Run("restore", "plan", input, work, "--no-denoise", "--no-colorize", "--epochs", "500", "--no-irt", "--no-progress");
        Assert.True(plan.ExitCode == 0, plan.Stderr);
        var p = ReelProcess.Start(new Dictionary<string, string>(), ["restore", "run", work, "--devices", "0,1", "--device", "cpu", "--progress", "plain", .. extra]);
        var training = new HashSet<string>();
        var lines = new List<string>();
        while (training.Count < 2 && p.StandardError.ReadLine() is { } line)
        {
            lines.Add(line);
            if (line.Contains("] stabilize:")) training.Add(line[..line.IndexOf(']')]);
        }
        if (training.Count < 2)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.Dispose();
            Assert.Fail($"the workers did not both train:\n{string.Join('\n', lines)}");
        }
        return (p, work);
    }

    /// <summary>The pids whose parent is <paramref name="parent"/> (/proc/PID/stat's fourth field, after the command's parenthesised name).</summary>
    private static List<int> ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!))
            .Where(pid => Stat(pid) is { } stat && int.Parse(stat.Split(' ')[1]) == parent).ToList();

    /// <summary>Whether <paramref name="pid"/> runs: there, and not a zombie its new parent has yet to reap.</summary>
    private static bool Running(int pid) => Stat(pid) is { } stat && stat[0] != 'Z';

    /// <summary>/proc/PID/stat after the command's name ("S 1234 …"), or null when the process is gone.</summary>
    private static string? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..];
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// A terminal that hangs up (the ssh session dropped) signals its session and fails every later write with EIO:
    /// the run stops as SIGTERM stops it, with exit 129, the progress it can no longer show dropped. It stopped
    /// cleanly and then crashed (SIGABRT) writing "interrupted" to the terminal that was gone.
    /// </summary>
    [Fact]
    public void AHungUpTerminalStopsARunWithExit129()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        using var terminal = Pty.Open();
        using var p = terminal.Start(dir, 80, "restore", input, output, "--no-denoise", "--no-colorize", "--epochs", "500", "--no-irt");
        var shown = terminal.ReadUntil("stabilize", TimeSpan.FromMinutes(2));
        Assert.True(shown.Contains("stabilize"), $"the run did not train:\n{shown}");
        var clock = Stopwatch.StartNew();
        terminal.Dispose();
        StoppedOrKilled(p, "its terminal hung up");
        Assert.True(clock.Elapsed < Prompt, $"took {clock.Elapsed.TotalSeconds:F1} s to stop");
        Assert.Equal(129, p.ExitCode);
        AssertOnlyTheTrainingIsKept(dir, output);
    }

    [Fact]
    public void SigtermStopsStabilizeWithExit143KeepingItsTraining()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "stable.mp4");
        using var p = ReelProcess.Start(new Dictionary<string, string>(), "stabilize", "--input", input, "--processed", input, "--output", output,
            "--epochs", "500", "--no-irt", "--progress", "plain");
        var stderr = TerminateInTraining(p, "epoch");
        Assert.DoesNotContain("internal error", stderr);
        AssertOnlyTheTrainingIsKept(dir, output);
    }

    [Fact]
    public void SigtermStopsTheJoinWithExit143AndTheJobResumes()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 2.4);
        var output = Path.Combine(dir, "out.mp4");
        using var wrapper = FfmpegWrapper.WaitingBeforeJoin();
        using var p = ReelProcess.Start(wrapper.Environment, ReelProcess.FilesOnlyRestore(input, output));
        var stderr = p.StandardError.ReadToEndAsync();
        int joining = wrapper.WaitForJoin(p);
        var (code, text) = Terminate(p, stderr);
        Assert.True(code == 143, $"exit {code}:\n{text}");
        Assert.Contains("--resume", text.Split('\n').Last(l => l.Length > 0));
        Assert.False(ReelProcess.Alive(joining), "the join's ffmpeg outlived reel");
        Assert.False(File.Exists(output));

        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--resume"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(24, Media.CountFrames(output));
    }

    /// <summary>
    /// A run still busy when a second signal comes (here: waiting on a stream its join's ffmpeg left open) ends at once,
    /// and with --progress json its last line is still `end`, with the exit code and what was said: a forced stop
    /// wrote no end line, and a scheduler reading only the stream never learnt how the run ended.
    /// </summary>
    [Fact]
    public void ASecondSignalEndsTheRunAtOnceWithTheEndLineLast()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 2.4);
        var output = Path.Combine(dir, "out.mp4");
        using var wrapper = FfmpegWrapper.LeavingAStreamOpenAtJoin();
        using var p = ReelProcess.Start(wrapper.Environment,
            new[] { "restore", input, output }.Concat(ReelProcess.NoNetworks).Concat(new[] { "--max-shot-frames", "8", "--progress", "json" }).ToArray());
        var stderr = p.StandardError.ReadToEndAsync();
        wrapper.WaitForJoin(p);
        ReelProcess.Signal(p, "TERM");
        // Well past the second in which a second signal is taken for the first one delivered twice (timed from when reel's
        // handler ran, which a loaded machine may delay).
        Thread.Sleep(3000);
        Assert.False(p.HasExited, $"the run stopped before the second signal, so it was not forced:\n{(p.HasExited ? stderr.Result : "")}");
        var (code, text) = Terminate(p, stderr);
        Assert.True(code == 143, $"exit {code}:\n{text}");
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("reel: stopped by SIGTERM before it could clean up; the next run removes what was left", lines);
        Assert.Single(lines, l => l.Contains("\"stage\":\"end\"", StringComparison.Ordinal));
        using var end = System.Text.Json.JsonDocument.Parse(lines[^1]);
        Assert.Equal("end", end.RootElement.GetProperty("stage").GetString());
        Assert.Equal(143, end.RootElement.GetProperty("exit").GetInt32());
        Assert.Equal("stopped by SIGTERM before it could clean up; the next run removes what was left", end.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public void WhatAKilledJoinLeftIsRemovedByTheNextRun()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 2.4);
        var output = Path.Combine(dir, "out.mp4");
        using var wrapper = FfmpegWrapper.WaitingAfterJoin();
        int deadPid;
        using (var p = ReelProcess.Start(wrapper.Environment, ReelProcess.FilesOnlyRestore(input, output)))
        {
            wrapper.WaitForJoin(p);
            deadPid = p.Id;
            p.Kill();
            p.WaitForExit();
            File.WriteAllText(wrapper.Go, "");
        }
        // The whole joined video, under a temporary name that says whose it was.
        var left = Directory.GetFiles(dir, ".out.*.tmp.mp4").Single();
        Assert.Matches($@"^\.out\.{deadPid}-[0-9a-f]{{32}}\.tmp\.mp4$", Path.GetFileName(left));
        Assert.Equal(24, Media.CountFrames(left));

        var r = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--resume"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(new[] { "in.mp4", "out.mp4" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void FramesSpilledByAKilledRunAreRemovedByTheNextRun()
    {
        var dir = TestPaths.NewTempDir();
        var temp = Path.Combine(dir, "tmp");
        Directory.CreateDirectory(temp);
        var input = Media.MakeClip(dir, seconds: 1.2, audio: false);
        var env = new Dictionary<string, string> { ["TMPDIR"] = temp };
        // 12 frames of 64×48 in one shot with a budget 1 MiB above the prior's working memory (26.3 MiB):
        // about 8 frames wait in memory, the rest on disk.
        string[] Restore(string output, string epochs) => new[] { "restore", input, output, "--no-denoise", "--no-colorize", "--epochs", epochs, "--no-irt",
            "--memory-mb", "27", "--no-progress" };
        int deadPid;
        using (var p = ReelProcess.Start(env, Restore(Path.Combine(dir, "killed.mp4"), "500")))
        {
            var stderr = p.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (Directory.GetDirectories(temp, "reel-frames-*").Length == 0 && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(50);
            deadPid = p.Id;
            bool ran = !p.HasExited;
            p.Kill();
            p.WaitForExit();
            if (!ran) Assert.Fail($"the run ended before it spilled frames:\n{stderr.Result}");
        }
        var spilled = Directory.GetDirectories(temp, "reel-frames-*");
        Assert.NotEmpty(spilled);
        Assert.All(spilled, s => Assert.Matches($@"reel-frames-{deadPid}-[0-9a-f]{{32}}$", s));

        var r = ReelProcess.RunWithEnvironment(env, Restore(Path.Combine(dir, "next.mp4"), "1"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        // (The runtime's own diagnostic sockets live in TMPDIR too; only reel's folders are counted.)
        Assert.Empty(Directory.GetDirectories(temp, "reel-frames-*"));
    }
}
