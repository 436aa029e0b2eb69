using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// A value out of range, or options that contradict each other, exit 2 as a command line that does not parse does
/// (README): a scheduler that reads 2 as "fix the job, do not retry" retried these, which exited 1.
/// </summary>
public class UsageErrorTests
{
    [Theory]
    [InlineData("restore", "--epochs", "0")]
    [InlineData("restore", "--crf", "100")]
    [InlineData("restore", "--max-shot-frames", "0")]
    [InlineData("restore", "--memory-mb", "-5")]
    [InlineData("restore", "--irt", "--no-irt")]
    [InlineData("eval-denoise", "--sigma", "-5")]
    [InlineData("eval-temporal", "--frames", "-1")]
    [InlineData("run", "--shard", "3/3")]
    [InlineData("run", "--devices", "0,0")]
    public void AnOutOfRangeOrContradictoryOptionExits2(string command, params string[] options)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, audio: false);
        string[] args = command switch
        {
            "restore" => ["restore", clip, Path.Combine(dir, "out.mp4"), "--no-denoise", "--no-colorize", "--no-progress"],
            "eval-denoise" => ["eval", "denoise", "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"), "--dataset", TestPaths.SharedData("testsets/Set12")],
            "eval-temporal" => ["eval", "temporal", "--input", clip, "--output", clip],
            _ => ["restore", "run", Plan(dir, clip), "--no-progress"],
        };
        var r = ReelProcess.Run([.. args, .. options]);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}:\n{r.Stderr}");
        Assert.StartsWith("reel: error: ", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("reel: "))));
        Assert.False(File.Exists(Path.Combine(dir, "out.mp4")));
    }

    private static string Plan(string dir, string clip)
    {
        var work = Path.Combine(dir, "work");
        var r = ReelProcess.Run("restore", "plan", clip, work, "--no-denoise", "--no-colorize", "--no-stabilize", "--no-progress");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return work;
    }
}
