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
/// The flow kernels (kernels/dis.cu, kernels/warp.cu) through CudaBackend on the emulated device:
/// every step does the CPU reference's arithmetic in its order with no fused multiply-adds, so the
/// flow, the warp and the occlusion mask must equal the reference's bit for bit.
/// </summary>
public class FlowKernelTests(ITestOutputHelper output)
{
    private static CudaBackend Backend => new(EmulatedGpu.Device, convolutions: null);

    [Theory]
    [InlineData("object", 1)]
    [InlineData("rotate_zoom", 2)]
    public void DisFlowOnTheDeviceEqualsTheReference(string motion, int finest)
    {
        var a = Npy.Read(Golden.Flow.File($"{motion}_a.npy"));
        var b = Npy.Read(Golden.Flow.File($"{motion}_b.npy"));
        var op = new OpticalFlowOp(FinestScale: finest);
        var expected = ReferenceBackend.Instance.Execute(op, a, b);
        var actual = Backend.Execute(op, a, b);
        Assert.Equal(expected.Data, actual.Data);
        output.WriteLine($"{motion} at finest scale {finest}: {actual.Length / 2} flow vectors equal to the reference's bit for bit, mean EPE to truth "
            + $"{OpticalFlowTests.MeanEpe(actual, Npy.Read(Golden.Flow.File($"{motion}_truth.npy")), Npy.Read(Golden.Flow.File($"{motion}_valid.npy"))):F4} px");
    }

    [Fact]
    public void WarpAndOcclusionCheckOnTheDeviceEqualTheReference()
    {
        var rng = new Random(7);
        var (a, b) = OpticalFlowTests.ShiftedNoisePair(rng, 53, 37);
        var forward = ReferenceBackend.Instance.Execute(OpticalFlowOp.Medium, a, b);
        var back = ReferenceBackend.Instance.Execute(OpticalFlowOp.Medium, b, a);
        var rgb = new Tensor(new Shape(1, 3, 37, 53), EmulatedGpu.RandomFloats(rng, 3 * 37 * 53, 0, 1));
        Assert.Equal(ReferenceBackend.Instance.Execute(new WarpOp(), rgb, back).Data, Backend.Execute(new WarpOp(), rgb, back).Data);
        var mask = Backend.Execute(new FlowCheckOp(), back, forward);
        Assert.Equal(ReferenceBackend.Instance.Execute(new FlowCheckOp(), back, forward).Data, mask.Data);
        double kept = mask.Data.Average();
        Assert.InRange(kept, 0.5, 1.0);
        output.WriteLine($"warp and check equal to the reference; {kept:P1} of pixels pass the forward–backward check");
    }
}
