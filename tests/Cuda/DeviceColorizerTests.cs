using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Cuda;

/// <summary>
/// The ECCV16 colorizer frame after frame on the emulated GPU: without a fusion callback each input
/// size is captured into a graph once and replayed, the frame's L going through the graph's fixed
/// buffers, with the CPU's result; a frame with a fusion callback runs eagerly beside the graphs.
/// </summary>
public class DeviceColorizerTests(ITestOutputHelper output)
{
    [Fact]
    public void FramesReplayOneGraphPerSizeWithTheCpuResult()
    {
        var weights = CheckpointLoader.Load(Golden.Colorizer.File("eccv16.pth"));
        using var device = EmulatedGpu.OpenPrivate();
        using (var gpu = EmulatedGpu.Backend(device))
        using (var model = Colorizer.FromWeights(weights, gpu))
        using (var cpu = Colorizer.FromWeights(weights, FastBackend.Instance))
        {
            var rng = new Random(4);
            int frames = 0;
            double worst = 0;
            Tensor? last = null;
            foreach (var (h, w, count) in new[] { (32, 32, 5), (24, 40, 4), (32, 32, 2) })
            for (int i = 0; i < count; i++, frames++)
            {
                last = new Tensor(new Shape(1, 1, h, w), EmulatedGpu.RandomFloats(rng, h * w, 0, 100));
                using var onDevice = gpu.Import(last);
                using var ab = model.Forward(onDevice);
                Assert.False(ab.IsOnHost);
                // The tolerance of the forward against PyTorch (ColorizerTests): the emulated kernels round like the CPU's but not bit for bit.
                worst = Math.Max(worst, EmulatedGpu.AssertClose(cpu.Forward(last).Span, ab.ToHost().Span, 2e-3, 1e-4, $"frame {frames} ({h}×{w})"));
            }
            Assert.Equal(2, gpu.GraphsCaptured);
            Assert.Equal(0, gpu.StagedCopies);

            // A fusion callback (here one that keeps the logits) runs the net eagerly: the same ab, no new graph.
            using (var onDevice = gpu.Import(last!))
            using (var replayed = model.Forward(onDevice))
            using (var fused = model.Forward(onDevice, logits: z => z))
                Assert.Equal(replayed.ToHost().Span.ToArray(), fused.ToHost().Span.ToArray());
            Assert.Equal(2, gpu.GraphsCaptured);

            // A sweep of temperatures keeps one temperature's head (its uploaded centres) and graphs on the device, not one per value.
            using (var onDevice = gpu.Import(last!))
            {
                using (model.Forward(onDevice, temperature: 0.3f)) { }
                int live = device.LiveAllocations;
                for (int i = 1; i <= 8; i++)
                    using (model.Forward(onDevice, temperature: 0.3f + 0.1f * i)) { }
                Assert.Equal(live, device.LiveAllocations);
            }
            output.WriteLine($"{frames} frames of two sizes, {gpu.GraphsCaptured} graphs captured; worst |Δab| against the CPU {worst:G3}; a fused frame equal to the replayed one");
        }
        Assert.Equal(0, device.LiveAllocations);
    }
}
