using System.Text.Json;
using Reel.Engine.Checkpoints;
using Reel.Tests.Support;

namespace Reel.Tests.Cli;

/// <summary>
/// `reel infer --model unet --train-step`: one training step of the prior written as a
/// .safetensors (loss, every gradient, the weights after Adam), what bench/gpu/parity.py compares
/// with PyTorch on a GPU. Here against the PyTorch goldens of dvp_golden.py, on the CPU and on the
/// emulated device.
/// </summary>
public class InferTrainStepTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData("emu")]
    public void OneStepMatchesPyTorchsGradientsAndMovesEachWeightByAdamsFirstStep(string device)
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "step.safetensors");
        string init = Golden.Dvp.File("dvp_init.pth");
        var r = ReelProcess.Run("infer", "--model", "unet", "--weights", init, "--input", Golden.Dvp.File("dvp_input.npy"),
            "--train-step", Golden.Dvp.File("dvp_processed.npy"), "--output", output, "--device", device);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var step = Safetensors.Read(output);
        double irt = JsonDocument.Parse(File.ReadAllText(Golden.Dvp.File("dvp.json"))).RootElement.GetProperty("irt").GetDouble();
        Assert.Equal(irt, step.Get("loss").Data[0], 5);
        var grads = TorchCheckpoint.Load(Golden.Dvp.File("dvp_grads.pth"));
        var before = TorchCheckpoint.Load(init);
        Assert.Equal(1 + 2 * grads.Count, step.Count);
        foreach (var name in grads.Names)
        {
            Tolerance.AssertClose(grads.Get(name), step.Get("grad." + name), 1e-6, 1e-3, $"∂L/∂{name}", report: false);
            // Adam's first step moves every element by lr·g/(|g| + ε): at most lr, and nearly lr where the gradient is real.
            var g = grads.Get(name).Data;
            var w0 = before.Get(name).Data;
            var w1 = step.Get("weight." + name).Data;
            for (int i = 0; i < g.Length; i++)
            {
                double moved = w0[i] - w1[i];
                Assert.True(Math.Abs(moved) <= 1.0001e-4 + 1e-7, $"{name}[{i}] moved {moved}");
                if (Math.Abs(g[i]) > 1e-5) Assert.True(Math.Abs(moved - 1e-4 * Math.Sign(g[i])) < 2e-6, $"{name}[{i}] moved {moved}, gradient {g[i]}");
            }
        }
    }

    [Fact]
    public void TrainStepIsForTheUNetOnly()
    {
        string dir = TestPaths.NewTempDir();
        var r = ReelProcess.Run("infer", "--model", "dncnn", "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"),
            "--input", Golden.Dvp.File("dvp_input.npy"), "--train-step", Golden.Dvp.File("dvp_processed.npy"), "--output", Path.Combine(dir, "x.safetensors"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("reel: error: --train-step is for --model unet", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "x.safetensors")));
    }

    [Theory]
    [InlineData(true, "step.npy")]
    [InlineData(false, "y.safetensors")]
    [InlineData(false, "y.png")]
    [InlineData(false, "y")]
    public void AnOutputNamedForAnotherFormatIsRefusedBeforeAnyWork(bool trainStep, string name)
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, name);
        var args = new List<string> { "infer", "--model", "unet", "--weights", Golden.Dvp.File("dvp_init.pth"),
            "--input", Golden.Dvp.File("dvp_input.npy"), "--output", output };
        if (trainStep) args.AddRange(["--train-step", Golden.Dvp.File("dvp_processed.npy")]);
        var r = ReelProcess.Run(args.ToArray());
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(trainStep ? "--train-step writes .safetensors; name the output *.safetensors" : "a forward writes .npy; name the output *.npy", r.Stderr);
        Assert.False(File.Exists(output));
    }

    /// <summary>An image's bytes saved as uint8 went through DnCNN as values of 0–255 and came back as a confident wrong answer.</summary>
    [Fact]
    public void AnIntegerInputIsRefusedWithTheConversion()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "bytes.npy"), output = Path.Combine(dir, "y.npy");
        var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 4, 4), }";
        header += new string(' ', 64 - (10 + header.Length + 1) % 64) + "\n";
        File.WriteAllBytes(input, [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. System.Text.Encoding.Latin1.GetBytes(header), .. Enumerable.Repeat((byte)200, 16)]);
        var r = ReelProcess.Run("infer", "--model", "dncnn", "--weights", TestPaths.SharedData("weights/kair_dncnn_25.pth"), "--input", input, "--output", output);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"reel: error: {input}: holds integers (|u1); give float32 values in the network's range (an image's bytes: x.astype(np.float32) / 255)", r.Stderr.Trim());
        Assert.False(File.Exists(output));
    }
}
