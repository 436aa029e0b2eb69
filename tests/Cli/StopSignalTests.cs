using System.Diagnostics;
using System.Text.RegularExpressions;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// Stopped as schedulers stop jobs (issue 23, failure 4): SIGTERM ends a run within seconds in
/// training and in the join alike, with exit 143 (SIGINT: 130, in <see cref="ResumeTests"/>) and
/// the finished pieces kept; what a SIGKILL leaves (a joined temporary beside the output, frames
/// spilled to the temp folder) carries the dead run's pid and is removed by the next run.
/// </summary>
public class StopSignalTests
{
    /// <summary>How long a stopped run may take to exit: "within seconds", with room for a loaded CI machine.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    /// <summary>Sends SIGTERM and returns the exit code and stderr, failing unless the run ends within <see cref="Prompt"/>.</summary>
    private static (int Code, string Stderr) Terminate(Process p, Task<string> stderr)
    {
        var clock = Stopwatch.StartNew();
        ReelProcess.Signal(p, "TERM");
        Assert.True(p.WaitForExit((int)Prompt.TotalMilliseconds), $"still running {Prompt.TotalSeconds} s after SIGTERM");
        Assert.True(clock.Elapsed < Prompt, $"took {clock.Elapsed.TotalSeconds:F1} s to stop");
        return (p.ExitCode, stderr.Result);
    }

    /// <summary>
    /// Waits for the stderr line containing <paramref name="training"/> (the run is training), sends SIGTERM and
    /// asserts exit 143 and the interruption's message; returns the rest of stderr.
    /// </summary>
    private static string TerminateInTraining(Process p, string training)
    {
        var lines = new List<string>();
        string? line;
        while ((line = p.StandardError.ReadLine()) is not null && !line.Contains(training)) lines.Add(line);
        Assert.True(line is not null, $"the run ended before training:\n{string.Join('\n', lines)}");
        var (code, stderr) = Terminate(p, p.StandardError.ReadToEndAsync());
        Assert.True(code == 143, $"exit {code}:\n{stderr}");
        Assert.Contains("reel: interrupted by SIGTERM", stderr);
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
        TerminateInTraining(p, "stabilize");
        Assert.False(File.Exists(output));
        Assert.Equal(new[] { "in.mp4" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void SigtermStopsStabilizeWithExit143AndNoOutput()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "stable.mp4");
        using var p = ReelProcess.Start(new Dictionary<string, string>(), "stabilize", "--input", input, "--processed", input, "--output", output,
            "--epochs", "500", "--no-irt", "--progress", "plain");
        var stderr = TerminateInTraining(p, "epoch");
        Assert.DoesNotContain("internal error", stderr);
        Assert.Equal(new[] { "in.mp4" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
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
