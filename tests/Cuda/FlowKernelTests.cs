using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Checkpoints;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Tests.Ops;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// The flow kernels (kernels/dis.cu, warp.cu, flow_check.cu) through CudaBackend on the emulated device:
/// every step does the CPU reference's arithmetic in its order with no fused multiply-adds, so the
/// flow, the warp and the occlusion mask must equal the reference's bit for bit.
/// </summary>
public class FlowKernelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("object", 1)]
    [InlineData("rotate_zoom", 2)]
    public void DisFlowOnTheDeviceEqualsTheReference(string motion, int finest)
    {
        var a = Npy.Read(Golden.Flow.File($"{motion}_a.npy"));
        var b = Npy.Read(Golden.Flow.File($"{motion}_b.npy"));
        var op = new OpticalFlowOp(FinestScale: finest);
        var expected = ReferenceBackend.Instance.Execute(op, a, b);
        using var gpu = EmulatedGpu.Backend();
        var actual = gpu.Execute(op, a, b);
        Assert.Equal(expected.Data, actual.Data);
        output.WriteLine($"{motion} at finest scale {finest}: {actual.Length / 2} flow vectors equal to the reference's bit for bit, mean EPE to truth "
            + $"{OpticalFlowTests.MeanEpe(actual, Npy.Read(Golden.Flow.File($"{motion}_truth.npy")), Npy.Read(Golden.Flow.File($"{motion}_valid.npy"))):F4} px");
    }

    [Fact]
    public void WarpAndOcclusionCheckOnTheDeviceEqualTheReference()
    {
        var rng = new Random(7);
        var (a, b) = Reel.Cli.Commands.SelfTestInputs.ShiftedNoisePair(rng, 53, 37);
        var forward = ReferenceBackend.Instance.Execute(OpticalFlowOp.Medium, a, b);
        var back = ReferenceBackend.Instance.Execute(OpticalFlowOp.Medium, b, a);
        var rgb = new Tensor(new Shape(1, 3, 37, 53), EmulatedGpu.RandomFloats(rng, 3 * 37 * 53, 0, 1));
        using var gpu = EmulatedGpu.Backend();
        Assert.Equal(ReferenceBackend.Instance.Execute(new WarpOp(), rgb, back).Data, gpu.Execute(new WarpOp(), rgb, back).Data);
        var mask = gpu.Execute(new FlowCheckOp(), back, forward);
        Assert.Equal(ReferenceBackend.Instance.Execute(new FlowCheckOp(), back, forward).Data, mask.Data);
        double kept = mask.Data.Average();
        Assert.InRange(kept, 0.5, 1.0);
        output.WriteLine($"warp and check equal to the reference; {kept:P1} of pixels pass the forward–backward check");
    }

    [Fact]
    public void ScreenedPoissonOnTheDeviceAndTheFastPathEqualTheReference()
    {
        var rng = new Random(9);
        const int c = 2, h = 37, w = 53;
        var p = new Tensor(new Shape(1, c, h, w), EmulatedGpu.RandomFloats(rng, c * h * w, -60, 60));
        var t = new Tensor(new Shape(1, c, h, w), EmulatedGpu.RandomFloats(rng, c * h * w, -60, 60));
        var confidence = new Tensor(new Shape(1, 1, h, w), EmulatedGpu.RandomFloats(rng, h * w, 0, 1));
        for (int k = 0; k < confidence.Length; k += 3) confidence.Data[k] = 0;
        var op = new ScreenedPoissonOp(1f, 0.3f, 10, Robust: 38f);
        var expected = ReferenceBackend.Instance.Execute(op, p, t, confidence);
        Assert.Equal(expected.Data, FastBackend.Instance.Execute(op, p, t, confidence).Data);
        using var gpu = EmulatedGpu.Backend();
        Assert.Equal(expected.Data, gpu.Execute(op, p, t, confidence).Data);
        Assert.NotEqual(p.Data, expected.Data);
        output.WriteLine($"screened Poisson ({c}×{h}×{w}, 10 sweeps): fast path and device equal to the reference bit for bit");
    }

    [Fact]
    public void FusedDistributionsOnTheDeviceAgreeWithTheReference()
    {
        var rng = new Random(10);
        const int q = 313, h = 9, w = 11;
        var z = new Tensor(new Shape(1, q, h, w), EmulatedGpu.RandomFloats(rng, q * h * w, -6, 6));
        var previous = new Tensor(new Shape(1, q, h, w), EmulatedGpu.RandomFloats(rng, q * h * w, -20, 0));
        var confidence = new Tensor(new Shape(1, 1, h, w), EmulatedGpu.RandomFloats(rng, h * w, 0, 1));
        var op = new FuseDistributionsOp(0.95f, 0.38f);
        var expected = ReferenceBackend.Instance.Execute(op, z, previous, confidence);
        using var gpu = EmulatedGpu.Backend();
        double worst = EmulatedGpu.AssertClose(expected.Data, gpu.Execute(op, z, previous, confidence).Data, 1e-5, 1e-5, "fuse on the device");
        worst = Math.Max(worst, EmulatedGpu.AssertClose(expected.Data, FastBackend.Instance.Execute(op, z, previous, confidence).Data, 1e-5, 1e-5, "fuse on the fast path"));
        output.WriteLine($"fuse_distributions_f32 and the fast path vs the double reference: max |err| {worst:G3} (log-probabilities)");
    }
}
