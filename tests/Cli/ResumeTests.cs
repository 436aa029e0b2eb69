using System.Diagnostics;
using System.Text.Json;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// A long restore stopped by Ctrl-C (SIGINT) or killed outright keeps its finished shots, leaves no
/// partial output, refuses to be silently restarted, and `--resume` finishes it with every frame
/// and timestamp of the input.
/// </summary>
public class ResumeTests
{
    private static string[] RestoreArgs(string input, string output, params string[] extra) =>
        new[] { "restore", input, output, "--denoiser", TestPaths.SharedData("weights/kair_dncnn_25.pth"), "--no-colorize",
                "--epochs", "2", "--no-irt", "--max-shot-frames", "3", "--no-progress" }.Concat(extra).ToArray();

    /// <summary>Runs until the work folder records at least one finished piece, then sends the signal.</summary>
    private static (int ExitCode, string Stderr) InterruptAfterFirstPiece(string input, string output, string signal)
    {
        var job = Path.Combine(RestoreJob.FolderFor(output), "job.json");
        using var p = ReelProcess.Start(new Dictionary<string, string>(), RestoreArgs(input, output));
        var stderr = p.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            if (File.Exists(job) && JsonDocument.Parse(File.ReadAllText(job)).RootElement.GetProperty("Pieces").GetArrayLength() >= 1) break;
            Thread.Sleep(100);
        }
        if (p.HasExited) Assert.Fail($"the run ended before it could be interrupted:\n{stderr.Result}");
        using (var kill = Process.Start("kill", new[] { $"-{signal}", p.Id.ToString() })) kill.WaitForExit();
        Assert.True(p.WaitForExit(120_000), "the run did not stop after the signal");
        return (p.ExitCode, stderr.Result);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("KILL")]
    public void InterruptedRunResumesWithEveryFrame(string signal)
    {
        var dir = TestPaths.NewTempDir();
        // 24 frames in 8 pieces: most of the run is still ahead when the first piece is done.
        var input = Media.MakeClip(dir, seconds: 2.4, vfr: true);
        var output = Path.Combine(dir, "out.mp4");
        var (code, stderr) = InterruptAfterFirstPiece(input, output, signal);
        if (signal == "INT")
        {
            Assert.True(code == 130, $"exit {code}:\n{stderr}");
            Assert.Contains("--resume", stderr.Split('\n').Last(l => l.Length > 0));
        }
        Assert.False(File.Exists(output), "a partial output was left");
        var work = RestoreJob.FolderFor(output);
        Assert.True(Directory.Exists(work), "the finished shots were not kept");

        var again = ReelProcess.Run(RestoreArgs(input, output));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("add --resume to continue", again.Stderr);

        // Each change named by the words that differ, not as the whole record of the stage it belongs to.
        var differently = ReelProcess.Run(RestoreArgs(input, output, "--resume", "--crf", "30", "--warm-epochs", "1"));
        Assert.Equal(1, differently.ExitCode);
        Assert.Contains("encoder crf 30 now, 17 then; stabilize warm 1 now, 0 then; use the same", differently.Stderr);
        Assert.DoesNotContain("epochs 2", differently.Stderr);

        // Each kept piece records a hash of the input frames it was made from, checked as the resume decodes them again: frames
        // that differ (here the record's, as an input changed in its middle, the same size and ends, would have) are refused.
        var record = Path.Combine(work, "job.json");
        var kept = File.ReadAllText(record);
        var recorded = JsonDocument.Parse(kept).RootElement.GetProperty("Pieces")[0].GetProperty("InputSha256").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", recorded);
        File.WriteAllText(record, kept.Replace(recorded, new string('0', 64)));
        var changed = ReelProcess.Run(RestoreArgs(input, output, "--resume"));
        Assert.Equal(1, changed.ExitCode);
        // Its advice alone: a --resume, which the error of a failed run with kept work adds, fails alike every time.
        Assert.Equal($"reel: error: frames 0–2 of {input} are not those the interrupted run restored (the input changed since, though not its size " +
                     $"nor its ends, or this ffmpeg decodes it otherwise); delete {work} to start over", changed.Stderr.Trim().Split('\n')[^1]);
        File.WriteAllText(record, kept);

        var resumed = ReelProcess.Run(RestoreArgs(input, output, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resume:", resumed.Stderr);
        Assert.False(Directory.Exists(work), "the work folder outlived the finished output");
        var (inInfo, outInfo) = (VideoFile.Probe(input), VideoFile.Probe(output));
        Assert.Equal((inInfo.Width, inInfo.Height, inInfo.FrameCount), (outInfo.Width, outInfo.Height, outInfo.FrameCount));
        var (inTimes, outTimes) = (Media.FrameTimes(input), Media.FrameTimes(output));
        Assert.Equal(inTimes.Count, outTimes.Count);
        for (int i = 0; i < inTimes.Count; i++) Assert.True(Math.Abs(inTimes[i] - outTimes[i]) < 2e-6, $"frame {i}: {outTimes[i]} vs {inTimes[i]}");
        Assert.True(outInfo.HasAudio);
        Assert.Equal(new[] { "in.mp4", "out.mp4" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());
    }

    /// <summary>
    /// Killed while a frame of a folder output was being written, its temporary stays in the work folder's frames: it was
    /// counted as a frame, and every resume ended "holds 25 of the 24 frames its record lists; … --resume".
    /// </summary>
    [Fact]
    public void AFolderOutputResumesPastAFrameLeftHalfWritten()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, seconds: 2.4, audio: false);
        var output = Path.Combine(dir, "frames");
        InterruptAfterFirstPiece(input, output, "KILL");
        var frames = Path.Combine(RestoreJob.FolderFor(output), RestoreJob.FramesFolder);
        File.WriteAllBytes(Path.Combine(frames, $".000011.{int.MaxValue}-{Guid.NewGuid():N}.tmp.png"), new byte[100]);
        var resumed = ReelProcess.Run(RestoreArgs(input, output, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(VideoFile.Probe(input).FrameCount, Directory.GetFiles(output).Length);
        Assert.All(Directory.GetFiles(output), f => Assert.EndsWith(".png", f));
        Assert.Empty(Directory.GetFiles(output, ".*"));
    }

    [Fact]
    public void ResumeWithNothingToResumeJustRuns()
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeClip(dir, audio: false);
        var output = Path.Combine(dir, "out.mp4");
        var r = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--resume", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(6, VideoFile.Probe(output).FrameCount);
        Assert.Contains($"resume: no interrupted run of {output} to continue; restoring from the start", r.Stderr);
        Assert.DoesNotContain("exists and is replaced", r.Stderr);
        // Run again, as a script that always passes --resume would: the finished film is made again, and that is said.
        var again = ReelProcess.Run("restore", input, output, "--no-denoise", "--no-colorize", "--no-stabilize", "--resume", "--no-progress");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains($"({output} exists and is replaced at the end)", again.Stderr);
    }
}
