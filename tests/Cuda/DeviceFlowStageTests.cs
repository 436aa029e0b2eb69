using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;
using Xunit.Abstractions;
using static Reel.Tests.Temporal.FlowTemporalTests;

namespace Reel.Tests.Cuda;

/// <summary>
/// The flow stage streaming device frames on the emulated device: what it keeps between frames
/// (the luma, the motion, the previous output) it owns and frees, so a long shot allocates nothing
/// after its first frames, and no op stages a host copy.
/// </summary>
public class DeviceFlowStageTests(ITestOutputHelper output)
{
    [Fact]
    public void FlowStageOnTheDeviceAllocatesNothingAfterItsFirstFrames()
    {
        const int w = 64, h = 48, frames = 10;
        using var device = EmulatedGpu.OpenPrivate();
        int warm = 0, total;
        using (var gpu = EmulatedGpu.Backend(device))
        {
            var rng = new Random(5);
            using var stage = new FlowTemporal(new FlowTemporalOptions { Mode = StabilizeMode.Chroma }, gpu);
            for (int t = 0; t < frames; t++)
            {
                var truth = Truth(t, w, h);
                using var input = gpu.Import(Gray(truth));
                using var processed = gpu.Import(Unimodal(truth, t, rng));
                using var consistent = stage.Next(input, processed);
                if (t == 2) warm = gpu.DeviceAllocations;
            }
            total = gpu.DeviceAllocations;
            Assert.Equal(0, gpu.StagedCopies);
        }
        Assert.Equal(0, device.LiveAllocations);
        output.WriteLine($"{frames} frames {w}×{h} through the flow stage on the emulated device: {warm} device allocations by frame 3, {total} in all");
        Assert.Equal(warm, total);
    }
}
