using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Reel.Engine.Pipeline;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// `reel stabilize` with a prior keeps every finished shot, as a restore does: a run stopped in its second shot
/// loses only that shot, and `--resume` trains the shots after the last finished one into the same output an
/// uninterrupted run makes. Before, a stop lost every shot trained (hours, on a film).
/// </summary>
public class StabilizeResumeTests
{
    [Theory]
    [InlineData("out.mp4", "piece-00002")]
    // The third frame (0-based 2) is the second shot's first, each written by ffmpeg as a temporary (.000002.TAG.tmp.png).
    [InlineData("frames", ".000002.")]
    public void AStoppedRunResumesAfterItsLastFinishedShot(string name, string secondShotWrite)
    {
        var dir = TestPaths.NewTempDir();
        var input = Media.MakeShots(dir, framesPerShot: 2);
        string[] Args(string output, params string[] extra) =>
            ["stabilize", "--input", input, "--processed", input, "--output", output, "--epochs", "2", "--no-irt", "--width", "8", "--no-progress", .. extra];
        var whole = Path.Combine(dir, "whole-" + name);
        var uninterrupted = ReelProcess.Run([.. Args(whole).Where(a => a != "--no-progress"), "--progress", "json"]);
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);
        // Each piece kept is said as a restore's is, for a scheduler reading the stream, then the join.
        var lines = uninterrupted.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var stages = lines.Select(e => e.GetProperty("stage").GetString()).ToList();
        // Every frame is read before the first shot trains, and said as it goes (a film's frames take minutes).
        var reading = lines.Where(e => e.GetProperty("stage").GetString() == "process").ToList();
        Assert.NotEmpty(reading);
        Assert.All(reading, e => Assert.Equal("reading the frames", e.GetProperty("detail").GetString()));
        Assert.Equal(12, reading[^1].GetProperty("done").GetInt64());
        Assert.True(stages.LastIndexOf("process") < stages.IndexOf("stabilize"), string.Join(' ', stages));
        Assert.True(stages.Count(st => st == "saved") >= 2, string.Join(' ', stages));
        Assert.True(stages.Contains("join") && stages.LastIndexOf("saved") < stages.IndexOf("join") && stages[^1] == "end", string.Join(' ', stages));

        var output = Path.Combine(dir, name);
        using (var wrapper = FfmpegWrapper.WaitingWhenWriting(secondShotWrite))
        using (var p = ReelProcess.Start(wrapper.Environment, Args(output)))
        {
            var stderr = p.StandardError.ReadToEndAsync();
            wrapper.WaitForJoin(p);
            ReelProcess.Signal(p, "TERM");
            // A frame's write, which is not cancelled, goes on and ends; the run stops after it.
            File.WriteAllText(wrapper.Go, "");
            Assert.True(p.WaitForExit(30_000), "still running 30 s after SIGTERM");
            Assert.True(p.ExitCode == 143, $"exit {p.ExitCode}:\n{stderr.Result}");
            Assert.Contains("--resume", stderr.Result.Split('\n').Last(l => l.Length > 0));
        }
        Assert.False(File.Exists(output) || Directory.Exists(output), "the stopped run wrote its output");
        Assert.True(Directory.Exists(RestoreJob.FolderFor(output)), "the stopped run kept no finished shot");

        // Nothing else writes over the record: a streamed stabilize into the output, or a restore, is told whose it is
        // (once: the refusals do not depend on the kind of output), and another setting is refused by name.
        if (name == "out.mp4") AssertOthersAreRefused(input, output, Args(output, "--resume", "--seed", "1"));

        // A kept frame cut short since is found, and its shot made again (it went into the output as it was).
        if (name == "frames")
        {
            var first = Path.Combine(RestoreJob.FolderFor(output), RestoreJob.FramesFolder, "000000.png");
            File.WriteAllBytes(first, File.ReadAllBytes(first)[..100]);
        }
        // The interrupted run kept no --loss-log: a resume that asks for one says which kept steps it cannot hold.
        var log = Path.Combine(dir, "steps.csv");
        var resumed = ReelProcess.Run(name == "out.mp4" ? Args(output, "--resume", "--loss-log", log) : Args(output, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        if (name == "out.mp4")
        {
            Assert.Matches($@"note: --loss-log: {Regex.Escape(log)} lacks the steps of (shot 1|\d+ shots \(1–\d+\)), which an interrupted run trained without their lines reaching the log", resumed.Stderr);
            var rows = File.ReadAllLines(log).Skip(1).Select(l => int.Parse(l.Split(',')[0], CultureInfo.InvariantCulture)).ToList();
            Assert.True(rows.Count > 0 && rows.Min() >= 2, $"the log of the resumed run holds shots {string.Join(',', rows.Distinct())}");
        }
        if (name == "frames") Assert.Contains("000000.png is not a whole PNG (cut short or overwritten since it was written); frames 0–", resumed.Stderr);
        if (name == "out.mp4")
        {
            // At least the first shot (2 frames) was kept; a shot whose last frame was on its way out when the signal came may be too.
            Assert.Contains("kept from the interrupted run", resumed.Stderr.Split('\n')[0]);
            var summary = Regex.Match(resumed.Stderr, @"stabilized (\d+) frames \((\d+) more kept from the interrupted run\)");
            Assert.True(summary.Success, resumed.Stderr);
            int trained = int.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture), kept = int.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.True(trained + kept == 12 && kept >= 2 && trained > 0, summary.Value);
        }
        else Assert.Contains("stabilized 12 frames →", resumed.Stderr);
        Assert.False(Directory.Exists(RestoreJob.FolderFor(output)), "the finished run left its work folder");
        if (name == "out.mp4") Assert.Equal(Media.DecodedFrames(whole), Media.DecodedFrames(output));
        else
        {
            var frames = Directory.GetFiles(output).Select(Path.GetFileName).Order().ToList();
            Assert.Equal(Directory.GetFiles(whole).Select(Path.GetFileName).Order(), frames);
            Assert.Equal(12, frames.Count);
            foreach (var f in frames) Assert.True(File.ReadAllBytes(Path.Combine(whole, f!)).SequenceEqual(File.ReadAllBytes(Path.Combine(output, f!))), f);
        }
    }

    private static void AssertOthersAreRefused(string input, string output, string[] otherSeed)
    {
        var streamed = ReelProcess.Run("stabilize", "--input", input, "--processed", input, "--output", output, "--temporal", "none", "--no-progress");
        var restore = ReelProcess.Run(ReelProcess.FilesOnlyRestore(input, output, "--resume"));
        foreach (var refused in new[] { streamed, restore })
        {
            Assert.True(refused.ExitCode == 1, $"exit {refused.ExitCode}:\n{refused.Stderr}");
            Assert.Contains($"an interrupted reel stabilize of {output} is in", refused.Stderr);
            Assert.Contains("continue it with that command and --resume", refused.Stderr);
        }
        var other = ReelProcess.Run(otherSeed);
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("stabilize seed 1 now, 0 then", other.Stderr);
    }
}
