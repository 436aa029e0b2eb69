using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Engine.Training;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// What keeps the GPU busy while the host works, shown through the emulator's ordering of streams
/// (<see cref="Reel.Emulation.EmulatedDevice.Seen"/>): uploads on the copy stream are not held behind
/// the compute queued before them, and a training step's loss is read while the next step is queued,
/// the host waiting for the step it reads and not for the one after it.
/// </summary>
public class DeviceStreamsTests(ITestOutputHelper output)
{
    [Fact]
    public void UploadsOverlapTheComputeQueuedBeforeThem()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance);
        using var net = SmallNets.DnCnn(layers: 4, width: 8, channels: 1, gpu, seed: 1);
        var rng = new Random(3);
        Tensor Frame() => new(new Shape(1, 1, 16, 20), EmulatedGpu.RandomFloats(rng, 320, 0, 1));
        // Frames go up in two slots in turn; each is denoised while the next goes up.
        var frames = Enumerable.Range(0, 6).Select(_ => Frame()).ToArray();
        var uploaded = new List<Tensor>();
        var outputs = new List<Tensor>();
        int uploads = device.Enqueued(gpu.CopyStream);
        for (int i = 0; i < frames.Length; i++)
        {
            int queued = device.Enqueued(gpu.Stream);
            uploaded.Add(gpu.Import(frames[i]));
            // The upload is ordered after the compute stream's copy out of its slot two uploads ago, not after the frames denoised since.
            if (i >= 2)
                Assert.True(device.Seen(gpu.CopyStream, gpu.Stream) < queued,
                    $"upload {i} waited for {device.Seen(gpu.CopyStream, gpu.Stream)} compute operations of the {queued} queued before it");
            outputs.Add(net.Forward(uploaded[^1]));
        }
        Assert.Equal(frames.Length, device.Enqueued(gpu.CopyStream) - uploads);
        Assert.True(device.Seen(null, gpu.Stream) < device.Enqueued(gpu.Stream), "the host waited for the compute stream");
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.Equal(frames[i].Span.ToArray(), uploaded[i].ToHost().Span.ToArray());
            Assert.Equal(net.Forward(frames[i]).ToHost().Span.ToArray(), outputs[i].ToHost().Span.ToArray());
        }
        foreach (var t in uploaded.Concat(outputs)) t.Dispose();
        output.WriteLine($"{frames.Length} frames uploaded on the copy stream while the compute stream denoised the ones before");
    }

    [Fact]
    public void AStepsLossIsReadWhileTheNextStepIsQueued()
    {
        var (input, processed) = DeviceTrainingTests.Frames(16, 16, seed: 4);
        using var cpuNet = VideoPrior.Create(2, 3, seed: 6);
        using var cpu = new PriorTrainer(cpuNet, FastBackend.Instance);
        using var device = EmulatedGpu.OpenPrivate();
        using (var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance))
        {
            using var net = VideoPrior.Create(2, 3, seed: 6);
            net.MoveTo(gpu);
            using var trainer = new PriorTrainer(net, gpu);
            var previous = trainer.Enqueue(PriorLossKind.L1, input, processed, 16, 16);
            Assert.False(previous.IsReady);
            for (int step = 0; step < 6; step++)
            {
                var next = trainer.Enqueue(PriorLossKind.L1, input, processed, 16, 16);
                int queued = device.Enqueued(gpu.Stream);
                double loss;
                using (previous) loss = previous.Wait()[0];
                Assert.True(device.Seen(null, gpu.Stream) < queued, $"step {step}: reading its loss waited for the step queued after it");
                double expected = cpu.Step(PriorLossKind.L1, input, processed, 16, 16);
                Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Abs(expected), $"step {step}: loss {loss} on the device, {expected} on the CPU");
                previous = next;
            }
            using (previous) previous.Wait();
            Assert.Equal(device.Enqueued(gpu.Stream), device.Seen(null, gpu.Stream));
        }
        Assert.Equal(0, device.LiveAllocations);
    }

    /// <summary>
    /// A restore's frame makes two reads of different sizes (the first carries the finite checks' flags),
    /// one frame in flight: their page-locked slots are reused frame after frame, not made anew.
    /// </summary>
    [Fact]
    public void AFramesReadsReuseTheirPageLockedSlots()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance);
        var rng = new Random(8);
        // Past the smallest slot (4096 bytes), so the few bytes of flags make the two reads' sizes differ.
        Tensor Frame() => new(new Shape(1, 3, 24, 32), EmulatedGpu.RandomFloats(rng, 3 * 24 * 32, 0, 1));
        (IPendingRead Input, IPendingRead Processed) Queue()
        {
            using var input = gpu.Import(Frame());
            using var processed = gpu.Import(Frame());
            gpu.EnsureFinite(input, "a stage's output");
            return (gpu.ReadLater(input), gpu.ReadLater(processed));
        }
        var inFlight = Queue();
        for (int frame = 0; frame < 12; frame++)
        {
            var next = Queue();
            using (inFlight.Input) inFlight.Input.Wait();
            using (inFlight.Processed) inFlight.Processed.Wait();
            inFlight = next;
        }
        inFlight.Input.Dispose();
        inFlight.Processed.Dispose();
        gpu.Synchronize();
        output.WriteLine($"13 frames, two reads each, one frame in flight: {gpu.ReadSlots} page-locked read slots");
        Assert.True(gpu.ReadSlots <= 4, $"{gpu.ReadSlots} page-locked slots for two reads in flight per frame and one frame in flight");
    }

    [Fact]
    public void AFailedCheckQueuedBeforeAReadIsReportedByIt()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var gpu = EmulatedGpu.Backend(device, ReferenceBackend.Instance);
        using var bad = gpu.Import(new Tensor(new Shape(4), new[] { 1f, float.NaN, 2f, 3f }));
        using var good = gpu.Import(new Tensor(new Shape(2), new[] { 5f, 6f }));
        gpu.EnsureFinite(good, "the good tensor");
        gpu.EnsureFinite(bad, "the bad tensor");
        using (var read = gpu.ReadLater(good))
            Assert.Contains("the bad tensor", Assert.Throws<ReelException>(() => read.Wait()).Message);
        // The flags went with that read: the next wait has nothing to report, and a read's values come back.
        gpu.Synchronize();
        using (var again = gpu.ReadLater(good))
            Assert.Equal(new[] { 5f, 6f }, again.Wait());

        // A read given up unread does not take its checks with it: the next wait reports them.
        gpu.EnsureFinite(bad, "the bad tensor again");
        gpu.ReadLater(good).Dispose();
        Assert.Contains("the bad tensor again", Assert.Throws<ReelException>(() => gpu.Synchronize()).Message);
        gpu.Synchronize();
    }
}
