using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// A restore whose default checkpoint is not in the weights cache says how to get it and names the
/// switch that goes on without that stage (--no-colorize, --no-denoise): an offline machine can
/// still restore.
/// </summary>
public class MissingWeightsTests
{
    [Theory]
    [InlineData("--no-denoise", "--no-colorize")]
    [InlineData("--no-colorize", "--no-denoise")]
    public void AMissingDefaultCheckpointNamesTheSwitchThatGoesOnWithout(string given, string named)
    {
        var dir = TestPaths.NewTempDir();
        var cache = Path.Combine(dir, "weights");
        Directory.CreateDirectory(cache);
        var input = Media.MakeClip(dir, audio: false);
        // Given --no-denoise, the colorizer is the checkpoint missing; given --no-colorize, the denoiser.
        var r = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["REEL_WEIGHTS"] = cache },
            "restore", input, Path.Combine(dir, "out.mp4"), given, "--no-stabilize", "--no-progress");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("reel: error: "));
        Assert.Contains($"or {named} to restore without it", line);
        Assert.Contains(cache, line);
        Assert.Equal(new[] { "in.mp4", "weights" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());
    }

    /// <summary>REEL_WEIGHTS set to a checkpoint's own path: every lookup said the weights "are not in" that file.</summary>
    [Fact]
    public void ACacheThatIsAFileIsNamedAsSuch()
    {
        var dir = TestPaths.NewTempDir();
        var file = Path.Combine(dir, "colorization_release_v2-9b330a0b.pth");
        File.WriteAllText(file, "not a folder");
        var input = Media.MakeClip(dir, audio: false);
        var r = ReelProcess.RunWithEnvironment(new Dictionary<string, string> { ["REEL_WEIGHTS"] = file },
            "restore", input, Path.Combine(dir, "out.mp4"), "--no-denoise", "--no-stabilize", "--no-progress");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("reel: error: "));
        Assert.Equal($"reel: error: REEL_WEIGHTS is a file ({file}); it names the folder that holds the checkpoints: set it to {dir}, or give the file to --denoiser or --colorizer", line);
    }
}
