using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;
using Reel.Engine.Training;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// The Deep Video Prior trained on the emulated GPU: every op of the step on the device (kernels
/// through the emulator, convolutions through Reel's cuDNN code and the emulated cuDNN, in stream order), weights,
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
        // Per step: the input and processed frames and Adam's two corrections up, the loss down.
        Assert.Equal(5 * 4, gpu.Transfers - transfersBefore);
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
    /// The training step captured into a graph and replayed gives the loss, gradients and weights of the
    /// same steps run op by op (a profiling backend over the device runs repeated work eagerly), bit for
    /// bit, with one graph per loss kind.
    /// </summary>
    [Fact]
    public void ReplayedStepsAreBitIdenticalToEagerOnes()
    {
        var (input, processed) = Frames(32, 32, seed: 3);
        using var eagerDevice = EmulatedGpu.OpenPrivate();
        using var eagerGpu = EmulatedGpu.Backend(eagerDevice, ReferenceBackend.Instance);
        var eager = new ProfilingBackend(eagerGpu);
        using var device = EmulatedGpu.OpenPrivate();
        using var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance);
        using var eagerNet = VideoPrior.Create(4, 6, seed: 5);
        using var net = VideoPrior.Create(4, 6, seed: 5);
        eagerNet.MoveTo(eagerGpu);
        net.MoveTo(gpu);
        using var eagerTrainer = new PriorTrainer(eagerNet, eager);
        using var trainer = new PriorTrainer(net, gpu);
        const int steps = 12;
        for (int step = 0; step < steps; step++)
        {
            var kind = step < 5 ? PriorLossKind.IrtInit : PriorLossKind.Irt;
            Assert.Equal(eagerTrainer.Step(kind, input, processed, 30, 27), trainer.Step(kind, input, processed, 30, 27));
        }
        Assert.Equal(0, eagerGpu.GraphsCaptured);
        Assert.Equal(2, gpu.GraphsCaptured);
        foreach (var (name, w) in eagerNet.Parameters)
        {
            Assert.Equal(eagerTrainer.Gradients[name].ToHost().Span.ToArray(), trainer.Gradients[name].ToHost().Span.ToArray());
            Assert.Equal(w.ToHost().Span.ToArray(), net.Parameters[name].ToHost().Span.ToArray());
        }
        output.WriteLine($"{steps} steps (two loss kinds), {gpu.GraphsCaptured} graphs captured: loss, every gradient and weight equal to the eager steps'");
    }

    /// <summary>
    /// A thousand training steps on tiny frames (issue 17's count), captured into a graph after the first
    /// few and replayed from then on, every buffer from the backend's pool: nothing is allocated on the
    /// device after the capture, and once the trainer, the net and the backend are disposed no device
    /// allocation is left, with no finalizer involved. A replayed step of the smallest net takes ~27 ms
    /// on the emulator here, so the test takes about half a minute.
    /// </summary>
    [Fact]
    public void AThousandStepsEndWithNoLiveDeviceAllocation()
    {
        const int steps = 1000;
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
            // Adam's moments, made in the first step, take buffers the step had given back: the second step
            // makes up for them, the third allocates nothing, the fourth is captured, and the rest replay.
            first = trainer.Step(PriorLossKind.L1, input, processed, 16, 16);
            for (int step = 1; step < 4; step++) trainer.Step(PriorLossKind.L1, input, processed, 16, 16);
            Assert.Equal(1, gpu.GraphsCaptured);
            afterFirstStep = gpu.DeviceAllocations;
            for (int step = 4; step < steps; step++) last = trainer.Step(PriorLossKind.L1, input, processed, 16, 16);
            Assert.Equal(afterFirstStep, gpu.DeviceAllocations);
            Assert.Equal(1, gpu.GraphsCaptured);
            Assert.Equal(0, gpu.StagedCopies);
        }
        output.WriteLine($"{steps} steps in {clock.Elapsed.TotalSeconds:F1} s, {steps - 4} of them replays of one graph: loss {first:F4} → {last:F4}; {afterFirstStep} device allocations, all in the first four steps");
        Assert.True(last < first, $"the loss did not fall: {first} → {last}");
        Assert.Equal(0, device.LiveAllocations);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(0, device.FinalizedBuffers);
    }

    /// <summary>
    /// A chroma shot trains from its coded frames kept in device memory: after the shot's frames are
    /// coded, a training step sends only Adam's corrections up and its loss down, never a frame; the
    /// stabilized frames equal the CPU's. On a device with little memory free, the stores keep what an
    /// eighth of it holds (one frame each here) and the rest go to disk and up again each step, with the
    /// same frames.
    /// </summary>
    [Fact]
    public void AChromaShotTrainsFromFramesKeptOnTheDevice()
    {
        const int frames = 4, epochs = 4;
        var options = StabilizeOptions.For(StabilizeMode.Chroma, epochs) with { Width = 2, Seed = 7, ChromaScale = 2 };
        var cpuFrames = Stabilize(FastBackend.Instance, options, frames, _ => { });
        // A coded frame: 3 channels at half of 24 × 32.
        const long coded = 3 * 12 * 16 * sizeof(float);
        foreach (long? free in new long?[] { null, 8 * coded })
        {
            using var device = EmulatedGpu.OpenPrivate();
            if (free is long bytes) device.FreeMemoryBytes = bytes;
            var transfers = new List<int>();
            List<Tensor> gpuFrames;
            using (var gpu = EmulatedGpu.Backend(device))
                gpuFrames = Stabilize(gpu, options, frames, _ => transfers.Add(gpu.Transfers));
            Assert.Equal(frames * epochs, transfers.Count);
            // Between the first step's report and the last's, the steps queued after the second each made two transfers
            // with every frame on the device; with one frame of each store there, the others' steps also sent both frames up.
            int perStep = transfers[^1] - transfers[0];
            output.WriteLine($"{frames} frames × {epochs} epochs on the emulated device ({(free is null ? "memory to spare" : $"{free} bytes free")}): " +
                             $"{perStep} transfers between the first and the last step's report");
            if (free is null) Assert.Equal(2 * (transfers.Count - 2), perStep);
            else Assert.True(perStep > 2 * (transfers.Count - 2), $"{perStep} transfers: the frames stayed on a device with {free} bytes free");
            Assert.Equal(0, device.LiveAllocations);
            for (int t = 0; t < frames; t++)
                Assert.True(RelativeL2(cpuFrames[t], gpuFrames[t]) <= 1e-5, $"frame {t}: relative L2 {RelativeL2(cpuFrames[t], gpuFrames[t]):G3} against the CPU");
        }
    }

    private static List<Tensor> Stabilize(IBackend backend, StabilizeOptions options, int count, Action<StabilizeProgress> progress)
    {
        using var input = new FrameStore(1 << 30);
        using var processed = new FrameStore(1 << 30);
        for (int t = 0; t < count; t++)
        {
            var (i, p) = Frames(24, 32, seed: 10 + t);
            input.Add(i);
            processed.Add(p);
        }
        var result = new List<Tensor>();
        StabilizeStage.Run(input, processed, options with { SplitShots = false }, backend, (_, f) => result.Add(f.Clone()), progress);
        return result;
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
