using System.Diagnostics;
using Reel.Engine.Pipeline;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// A run stopped while it trains a shot's prior keeps the training saved so far (`--save-every`) in its work folder, even
/// with no shot finished, and `--resume` goes on from it into the output a run never stopped makes. Before, a stop lost
/// the whole shot's training: an hour or more of a CPU's work on a real shot. A stabilize's --loss-log, resumed, is the
/// log of the run never stopped, line for line (it held only the resumed run's steps).
/// </summary>
public class TrainingResumeTests
{
    [Theory]
    [InlineData("restore")]
    [InlineData("stabilize")]
    public void AStopInAShotsTrainingKeepsItsSavedSteps(string command)
    {
        var dir = TestPaths.NewTempDir();
        // One shot of 6 small frames; the restore's prior, the paper's width, for 2 epochs (a step costs about 0.1 s at any small size).
        var input = Media.MakeClip(dir, size: "32x32", audio: false);
        string[] Args(string output, params string[] extra) => command == "restore"
            ? ["restore", input, output, "--no-denoise", "--no-colorize", "--epochs", "2", "--no-irt", "--no-progress", .. extra]
            : ["stabilize", "--input", input, "--processed", input, "--output", output, "--epochs", "4", "--no-irt", "--width", "8", "--no-progress", .. extra];
        bool logs = command == "stabilize";
        string wholeLog = Path.Combine(dir, "whole.csv"), log = Path.Combine(dir, "steps.csv");
        string[] Logged(string path) => logs ? ["--loss-log", path] : [];
        var whole = Path.Combine(dir, "whole.mp4");
        var uninterrupted = ReelProcess.Run([.. Args(whole), .. Logged(wholeLog)]);
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);

        var output = Path.Combine(dir, "out.mp4");
        var saved = Path.Combine(RestoreJob.FolderFor(output), "training-00001.safetensors");
        using (var p = ReelProcess.Start(new Dictionary<string, string>(), [.. Args(output, "--save-every", "0"), .. Logged(log)]))
        {
            var stderr = p.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (!p.HasExited && !File.Exists(saved) && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(20);
            // Not Assert.False(…, message): its message, built first, would wait for stderr to close, i.e. for the run to end.
            if (p.HasExited) Assert.Fail($"the run ended before it saved its training:\n{stderr.Result}");
            ReelProcess.Signal(p, "TERM");
            Assert.True(p.WaitForExit(30_000), "still running 30 s after SIGTERM");
            Assert.True(p.ExitCode == 143, $"exit {p.ExitCode}:\n{stderr.Result}");
            Assert.Contains("the work done (finished shots, and the training of the shot in progress) is kept in", stderr.Result);
        }
        Assert.False(File.Exists(output), "the stopped run wrote its output");
        Assert.True(File.Exists(saved), "the stopped run kept no training");

        // With no shot finished, the saved training is still work a fresh run must not throw away unasked.
        var refused = ReelProcess.Run([.. Args(output), .. Logged(log)]);
        Assert.True(refused.ExitCode == 1, $"exit {refused.ExitCode}:\n{refused.Stderr}");
        Assert.Contains("(0 frames done, a shot's training saved); add --resume to continue it", refused.Stderr);

        Assert.False(File.Exists(log), "the stopped run wrote a log that looks whole");
        var resumed = ReelProcess.Run([.. Args(output, "--resume"), .. Logged(log)]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        // Mid-training, unless the signal came as the last steps ran (a loaded machine).
        int steps = 6 * (command == "restore" ? 2 : 4);
        Assert.Matches(@"shot 1 \(frames 0–5\): its prior('s training goes on from the interrupted run's, \d+ of " + steps + " steps done| was trained by the interrupted run)", resumed.Stderr);
        Assert.False(Directory.Exists(RestoreJob.FolderFor(output)), "the finished run left its work folder");
        Assert.Equal(Media.DecodedFrames(whole), Media.DecodedFrames(output));
        if (logs)
        {
            Assert.Equal(File.ReadAllLines(wholeLog), File.ReadAllLines(log));
            Assert.Equal(1 + steps, File.ReadAllLines(log).Length);
            Assert.Empty(Directory.GetFiles(dir, ".*"));
        }
    }
}
