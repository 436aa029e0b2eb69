using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Engine.Training;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// The Deep Video Prior trained on the emulated GPU: every op of the step on the device (kernels
/// through the emulator, convolutions on the host in stream order, where cuDNN would be), weights,
/// gradients and Adam's moments resident, against the same training on the CPU backend.
/// </summary>
public class DeviceTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void FiveStepsMatchTheCpuBackendWithOnlyTheFramesCrossing()
    {
        var (input, processed) = Frames(32, 32, seed: 1);
        using var cpuNet = VideoPrior.Create(4, 6, seed: 5);
        using var cpu = new PriorTrainer(cpuNet, FastBackend.Instance);
        using var device = EmulatedGpu.OpenPrivate();
        using var gpu = EmulatedGpu.Backend(device);
        using var gpuNet = VideoPrior.Create(4, 6, seed: 5);
        gpuNet.MoveTo(gpu);
        using var trainer = new PriorTrainer(gpuNet, gpu);
        int transfersBefore = gpu.Transfers;
        for (int step = 0; step < 5; step++)
        {
            var kind = step < 2 ? PriorLossKind.IrtInit : PriorLossKind.Irt;
            double expected = cpu.Step(kind, input, processed, 30, 27);
            double actual = trainer.Step(kind, input, processed, 30, 27);
            Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Abs(expected), $"step {step}: loss {actual} on the device, {expected} on the CPU");
        }
        Assert.Equal(0, gpu.StagedCopies);
        // Per step: the input and processed frames up, the loss down.
        Assert.Equal(5 * 3, gpu.Transfers - transfersBefore);
        double worstGradient = 0, worstWeight = 0;
        foreach (var (name, w) in cpuNet.Parameters)
        {
            worstGradient = Math.Max(worstGradient, RelativeL2(cpu.Gradients[name], trainer.Gradients[name].ToHost()));
            worstWeight = Math.Max(worstWeight, RelativeL2(w, gpuNet.Parameters[name].ToHost()));
        }
        output.WriteLine($"5 steps on the emulated device: worst relative L2 of a gradient {worstGradient:G3}, of a weight after Adam {worstWeight:G3}");
        Assert.True(worstGradient <= 1e-5, $"gradients differ by {worstGradient:G3} (relative L2)");
        Assert.True(worstWeight <= 1e-5, $"weights after Adam differ by {worstWeight:G3} (relative L2)");
    }

    /// <summary>
    /// A thousand training steps on tiny frames, every buffer from the backend's pool: nothing is
    /// allocated on the device after the first two steps, and once the trainer, the net and the backend
    /// are disposed no device allocation is left, with no finalizer involved.
    /// </summary>
    [Fact]
    public void AThousandStepsEndWithNoLiveDeviceAllocation()
    {
        var (input, processed) = Frames(16, 16, seed: 2);
        using var device = EmulatedGpu.OpenPrivate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int afterFirstStep;
        double first, last = 0;
        using (var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance))
        {
            using var net = VideoPrior.Create(1, 3, seed: 9);
            net.MoveTo(gpu);
            using var trainer = new PriorTrainer(net, gpu, learningRate: 1e-3f);
            // Adam's moments, made in the first step, take buffers the step had given back: the second step makes up for them.
            first = trainer.Step(PriorLossKind.L1, input, processed, 16, 16);
            trainer.Step(PriorLossKind.L1, input, processed, 16, 16);
            afterFirstStep = gpu.DeviceAllocations;
            for (int step = 2; step < 1000; step++) last = trainer.Step(PriorLossKind.L1, input, processed, 16, 16);
            Assert.Equal(afterFirstStep, gpu.DeviceAllocations);
            Assert.Equal(0, gpu.StagedCopies);
        }
        output.WriteLine($"1000 steps in {clock.Elapsed.TotalSeconds:F1} s: loss {first:F4} → {last:F4}; {afterFirstStep} device allocations, all in the first two steps");
        Assert.True(last < first, $"the loss did not fall: {first} → {last}");
        Assert.Equal(0, device.LiveAllocations);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(0, device.FinalizedBuffers);
    }

    internal static (Tensor Input, Tensor Processed) Frames(int h, int w, int seed)
    {
        var rng = new Random(seed);
        var input = new Tensor(new Shape(1, 3, h, w), EmulatedGpu.RandomFloats(rng, 3 * h * w, 0, 1));
        var processed = new Tensor(new Shape(1, 3, h, w), EmulatedGpu.RandomFloats(rng, 3 * h * w, 0, 1));
        return (input, processed);
    }

    internal static double RelativeL2(Tensor expected, Tensor actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual.Data[i] - expected.Data[i];
            diff += d * d;
            norm += (double)expected.Data[i] * expected.Data[i];
        }
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }
}
