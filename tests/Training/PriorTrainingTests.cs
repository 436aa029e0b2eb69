using System.Text.Json;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Engine.Training;
using Reel.Tests.Support;

namespace Reel.Tests.Training;

/// <summary>The U-Net's forward, IRT gradients and Adam against PyTorch autograd (dvp_golden.py).</summary>
public class PriorTrainingTests
{
    private static Tensor Input => Npy.Read(Golden.Dvp.File("dvp_input.npy"));
    private static Tensor Processed => Npy.Read(Golden.Dvp.File("dvp_processed.npy"));
    private static JsonElement Losses => JsonDocument.Parse(File.ReadAllText(Golden.Dvp.File("dvp.json"))).RootElement;

    [Fact]
    public void ForwardInTheOfficialLayoutMatchesPyTorch()
    {
        var net = VideoPrior.Load(Golden.Dvp.File("dvp_init.pth"));
        Assert.Equal((32, 6), (net.Width, net.OutChannels));
        Assert.Equal(8_627_718, net.ParameterCount);
        Tolerance.AssertClose(Npy.Read(Golden.Dvp.File("dvp_out.npy")), net.Forward(Input, FastBackend.Instance), 1e-5, 1e-4, "U-Net forward vs PyTorch");
    }

    // Tolerance for gradients: |err| ≤ 1e-6 + 1e-3·|g| (float32 sums over 2048 pixels in a different order).
    [Theory]
    [InlineData(PriorLossKind.Irt, "irt", "dvp_grads.pth")]
    [InlineData(PriorLossKind.IrtInit, "irt_init", "dvp_init_grads.pth")]
    public void LossAndEveryGradientMatchPyTorch(PriorLossKind kind, string lossKey, string gradFile)
    {
        var net = VideoPrior.Load(Golden.Dvp.File("dvp_init.pth"));
        var trainer = new PriorTrainer(net, FastBackend.Instance);
        double loss = trainer.ComputeGradients(kind, Input, Processed, 32, 64);
        Assert.Equal(Losses.GetProperty(lossKey).GetDouble(), loss, 5);
        var expected = TorchCheckpoint.Load(Golden.Dvp.File(gradFile));
        Assert.Equal(expected.Count, trainer.Gradients.Count);
        double worst = 0;
        foreach (var name in expected.Names)
            worst = Math.Max(worst, Tolerance.AssertClose(expected.Get(name), trainer.Gradients[name], 1e-6, 1e-3, $"∂L/∂{name}", report: false));
        Console.WriteLine($"{kind}: loss {loss:F7}, worst gradient max |err| over {expected.Count} tensors = {worst:G3}");
    }

    /// <summary>
    /// Adam divides by √v, so an element whose gradient is at the noise floor (|g| ~ 1e-8, both
    /// engines' float sums disagree in sign there) may move by up to lr per step either way. Elements
    /// with a real gradient (|g| ≥ 1e-5 at step 0) must match tightly; every element must stay within
    /// the 2·5·lr band that bounds Adam's movement.
    /// </summary>
    [Fact]
    public void FiveAdamStepsMatchPyTorch()
    {
        const double lr = 1e-4, gradientFloor = 1e-5;
        var net = VideoPrior.Load(Golden.Dvp.File("dvp_init.pth"));
        var trainer = new PriorTrainer(net, FastBackend.Instance, (float)lr);
        var trajectory = Losses.GetProperty("trajectory").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int step = 0; step < 5; step++)
        {
            double loss = trainer.Step(PriorLossKind.Irt, Input, Processed, 32, 64);
            Assert.Equal(trajectory[step], loss, 5);
        }
        var after = TorchCheckpoint.Load(Golden.Dvp.File("dvp_after5.pth"));
        var grads = TorchCheckpoint.Load(Golden.Dvp.File("dvp_grads.pth"));
        double worstTight = 0, worstAll = 0;
        long tight = 0, total = 0;
        foreach (var name in after.Names)
        {
            var expected = after.Get(name).Data;
            var g = grads.Get(name).Data;
            var actual = net.Parameters[name].Data;
            for (int i = 0; i < expected.Length; i++, total++)
            {
                double err = Math.Abs(actual[i] - expected[i]);
                worstAll = Math.Max(worstAll, err);
                Assert.True(err <= 10 * lr, $"{name}[{i}] after 5 steps is {actual[i]}, PyTorch {expected[i]}: beyond Adam's movement bound");
                if (Math.Abs(g[i]) < gradientFloor) continue;
                tight++;
                worstTight = Math.Max(worstTight, err);
                Assert.True(err <= 2e-6 + 1e-4 * Math.Abs(expected[i]), $"{name}[{i}] (|g| = {Math.Abs(g[i]):G3}) after 5 steps is {actual[i]}, PyTorch {expected[i]}");
            }
        }
        Console.WriteLine($"weights after 5 Adam steps: max |err| {worstTight:G3} over the {tight} of {total} elements with |g| ≥ {gradientFloor}; {worstAll:G3} over all");
    }

    [Fact]
    public void WeightsRoundTripThroughSafetensorsWithOfficialNames()
    {
        var net = VideoPrior.Create(8, 6, seed: 3);
        var path = Path.Combine(TestPaths.NewTempDir(), "prior.safetensors");
        net.Save(path);
        var names = Safetensors.Read(path).Names;
        Assert.Contains("encoder1.enc1conv1.weight", names);
        Assert.Contains("upconv4.1.bias", names);
        Assert.Contains("decoder1.dec1conv2.weight", names);
        var back = VideoPrior.Load(path);
        Assert.Equal((8, 6), (back.Width, back.OutChannels));
        foreach (var (name, t) in net.Parameters) Assert.Equal(t.Data, back.Parameters[name].Data);
        // Xavier-normal: std √(2 / (fan_in + fan_out)) = √(2 / (8·9 + 8·9)) for enc1conv2.
        var w = net.Parameters["encoder1.enc1conv2.weight"].Data;
        double std = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.8 * Math.Sqrt(2.0 / 144), 1.2 * Math.Sqrt(2.0 / 144));
    }

    [Fact]
    public void AdamFollowsTorchOnAHandComputedStep()
    {
        // torch.optim.Adam(lr=0.1) on p = [1, -2], g = [0.5, -0.25], two steps with the same g:
        // both steps move each element by lr·sign(g) exactly (m/√v = sign(g) after bias correction).
        var p = new Dictionary<string, Tensor> { ["p"] = new(new Shape(2), new[] { 1f, -2f }) };
        var g = new Dictionary<string, Tensor> { ["p"] = new(new Shape(2), new[] { 0.5f, -0.25f }) };
        var adam = new Adam(0.1f);
        adam.Step(p, g);
        adam.Step(p, g);
        Assert.Equal(0.8f, p["p"].Data[0], 5);
        Assert.Equal(-1.8f, p["p"].Data[1], 5);
    }
}
