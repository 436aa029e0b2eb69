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
    [InlineData("restore", "--fps", "24")]
    [InlineData("restore", "--from", "0.4", "--to", "0.2")]
    [InlineData("restore", "--from", "ten")]
    [InlineData("eval-denoise", "--sigma", "-5")]
    [InlineData("eval-temporal", "--frames", "-1")]
    [InlineData("run", "--shard", "3/3")]
    [InlineData("run", "--devices", "0,0")]
    [InlineData("run", "--save-every", "-1")]
    [InlineData("run", "--devices", "0,1", "--device", "cpu", "--precision", "tf32")]
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

    /// <summary>
    /// A command line no files can make work exits 2 whatever the files: it exited 1 ("input not found", "weights are not
    /// in the cache") where those were missing, because the options were checked after the files.
    /// </summary>
    [Theory]
    [InlineData("restore", "--temporal", "flow", "--epochs", "3")]
    [InlineData("restore", "--device", "cpu", "--precision", "fp32")]
    [InlineData("restore", "--no-denoise", "--denoiser", "any.pth")]
    [InlineData("plan", "--temporal", "flow", "--epochs", "3")]
    public void AContradictionExits2BeforeAnyFileIsLookedFor(string command, params string[] options)
    {
        var dir = TestPaths.NewTempDir();
        // Neither the input nor the weights cache exists.
        string[] start = command == "plan" ? ["restore", "plan"] : ["restore"];
        var r = ReelProcess.RunIn(dir, new Dictionary<string, string> { ["REEL_WEIGHTS"] = Path.Combine(dir, "no-cache") },
            [.. start, Path.Combine(dir, "nosuch.mp4"), Path.Combine(dir, "out"), "--no-colorize", "--no-progress", .. options]);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}:\n{r.Stderr}");
        Assert.DoesNotContain("not found", r.Stderr);
    }

    private static string Plan(string dir, string clip)
    {
        var work = Path.Combine(dir, "work");
        ReelProcess.PlanWithoutNetworks(clip, work);
        return work;
    }

    /// <summary>An option the chosen stage does not use is refused by name: each was accepted and dropped without a word.</summary>
    [Theory]
    [InlineData("--epochs is not used: --temporal flow trains no prior; drop it", "restore", "--temporal", "flow", "--epochs", "5")]
    [InlineData("--no-irt is not used: the temporal stage is off; drop it", "restore", "--no-stabilize", "--no-irt")]
    [InlineData("--no-mode-hold, --chroma-scale are not used: they are chroma mode's, and --no-colorize restores in rgb mode; drop them", "restore", "--chroma-scale", "3", "--no-mode-hold")]
    [InlineData("--width, --seed are not used: --temporal flow trains no prior; drop them", "stabilize", "--temporal", "flow", "--width", "8", "--seed", "3")]
    [InlineData("--flow-blend is not used: they set the flow stage, and --temporal is prior; drop it", "stabilize", "--flow-blend", "0.5")]
    [InlineData("--resume is not used: --temporal none streams its frames and keeps no finished shots to continue from; drop it", "stabilize", "--temporal", "none", "--resume")]
    [InlineData("--precision bf16 is for the GPU's convolutions, and --device cpu computes in fp32; drop it", "restore", "--device", "cpu", "--precision", "bf16")]
    [InlineData("--precision fp32 is for the GPU's convolutions, and --device cpu computes in fp32; drop it", "bench", "--model", "dncnn", "--size", "16x16", "--precision", "fp32")]
    [InlineData("--temperature is not used: it is the colorizer's, and --model is dncnn; drop it", "infer", "--model", "dncnn", "--temperature", "0.5")]
    [InlineData("give --model dncnn|colorizer|unet (or --peak)", "bench", "--size", "16x16")]
    [InlineData("unknown weights 'nosuch'; known: dncnn_25, dncnn_gray_blind, dncnn_color_blind, colorizer", "weights", "verify", "nosuch")]
    [InlineData("--denoiser is not used: --no-denoise turns the denoiser off; drop it", "restore", "--denoiser", "any.pth")]
    [InlineData("--temperature is not used: --no-colorize turns the colorizer off; drop it", "restore", "--temperature", "0.38")]
    public void AnOptionTheRunWouldNotUseIsRefused(string said, string command, params string[] options)
    {
        var dir = TestPaths.NewTempDir();
        var clip = Media.MakeClip(dir, audio: false);
        string[] args = command switch
        {
            "restore" => ["restore", clip, Path.Combine(dir, "out.mp4"), "--no-denoise", "--no-colorize", "--no-progress"],
            "stabilize" => ["stabilize", "--input", clip, "--processed", clip, "--output", Path.Combine(dir, "out.mp4"), "--no-progress"],
            "infer" => ["infer", "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"), "--input", Golden.Dvp.File("dvp_input.npy"), "--output", Path.Combine(dir, "y.npy")],
            _ => [command],
        };
        var r = ReelProcess.Run([.. args, .. options]);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}:\n{r.Stderr}");
        Assert.Equal($"reel: error: {said}", r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last());
        Assert.False(File.Exists(Path.Combine(dir, "out.mp4")));
    }
}
