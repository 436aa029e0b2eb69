using System.Text.Json;
using Reel.Engine.Checkpoints;
using Reel.Engine.Video;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>The `reel` executable as users and scripts drive it (DESIGN §6 contracts).</summary>
public class CliTests
{
    [Fact]
    public void DenoiseWritesAnImageOfTheSameSize()
    {
        var dir = TestPaths.NewTempDir();
        var output = Path.Combine(dir, "out.png");
        var r = ReelProcess.Run("denoise", TestPaths.SharedData("testsets/Set12/01.png"), output,
            "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal((256, 256), ImageIO.Probe(output));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void InferMatchesPyTorchGolden()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "y.npy");
        var r = ReelProcess.Run("infer", "--model", "dncnn", "--weights", Golden.Dncnn.File("saoyan_b20_legacy.pth"),
            "--input", Golden.Dncnn.File("saoyan_b20_legacy_x.npy"), "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Tolerance.AssertClose(Npy.Read(Golden.Dncnn.File("saoyan_b20_legacy_y.npy")), Npy.Read(output), 1e-4, 1e-4, "reel infer dncnn");
    }

    [Fact]
    public void EvalJsonLastLineIsTheContract()
    {
        var dataset = TestPaths.NewTempDir();
        File.Copy(TestPaths.SharedData("testsets/Set12/01.png"), Path.Combine(dataset, "01.png"));
        var r = ReelProcess.Run("eval", "denoise", "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--dataset", dataset, "--sigma", "25", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var last = r.Stdout.TrimEnd().Split('\n')[^1];
        using var doc = JsonDocument.Parse(last);
        Assert.Equal(1, doc.RootElement.GetProperty("images").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("mean_psnr").GetDouble(), 29.5, 31.0);
        Assert.InRange(doc.RootElement.GetProperty("mean_ssim").GetDouble(), 0.8, 0.95);
    }

    [Theory]
    [InlineData("missing-weights")]
    [InlineData("wrong-checkpoint")]
    [InlineData("missing-input")]
    [InlineData("bad-output-folder")]
    public void UserErrorsAreOneLineAndLeaveNothing(string kind)
    {
        var dir = TestPaths.NewTempDir();
        var output = Path.Combine(dir, "out.png");
        var image = TestPaths.SharedData("testsets/Set12/01.png");
        var weights = TestPaths.SharedData("weights/kair_dncnn_25.pth");
        string[] args = kind switch
        {
            "missing-weights" => new[] { "denoise", image, output, "--weights", Path.Combine(dir, "nope.pth") },
            "wrong-checkpoint" => new[] { "denoise", image, output, "--weights", WrongCheckpoint(dir) },
            "missing-input" => new[] { "denoise", Path.Combine(dir, "nope.png"), output, "--weights", weights },
            _ => new[] { "denoise", image, Path.Combine(dir, "no", "such", "out.png"), "--weights", weights },
        };
        var r = ReelProcess.Run(args);
        Assert.NotEqual(0, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{r.Stderr}");
        Assert.StartsWith("reel: error: ", lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.False(File.Exists(output));
        Assert.DoesNotContain(Directory.GetFiles(dir), f => f.Contains(".tmp"));
    }

    [Fact]
    public void UsageMistakesAreOneLineWithExitCode2()
    {
        var r = ReelProcess.Run("denoise", "only-one-arg.png");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("'--weights' is required", line);
    }

    private static string WrongCheckpoint(string dir)
    {
        var path = Path.Combine(dir, "colorizer.safetensors");
        Safetensors.Write(path, new[] { ("model1.0.weight", new Reel.Engine.Tensors.Tensor(new(64, 1, 3, 3))) });
        return path;
    }
}
