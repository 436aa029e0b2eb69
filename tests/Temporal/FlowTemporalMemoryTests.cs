using Reel.Engine.Backends.Cpu;
using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;
using Reel.Tests.Support;
using Xunit.Abstractions;
using static Reel.Tests.Temporal.FlowTemporalTests;

namespace Reel.Tests.Temporal;

/// <summary>
/// The flow-guided stage streams: the live heap after a long shot is that after a short one. Run
/// alone (the serial collection), since the live heap is the whole process's.
/// </summary>
[Collection(nameof(SerialCollection))]
public class FlowTemporalMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void MemoryStaysFlatAsTheShotGrows()
    {
        const int w = 160, h = 96;
        long Peak(int frames)
        {
            var rng = new Random(5);
            var stage = new FlowTemporal(new FlowTemporalOptions { Mode = StabilizeMode.Chroma }, FastBackend.Instance);
            long peak = 0;
            for (int t = 0; t < frames; t++)
            {
                var truth = Truth(t, w, h);
                stage.Next(Gray(truth), Unimodal(truth, t, rng));
                if (t % 5 == 4) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
            }
            GC.KeepAlive(stage);
            return peak;
        }
        Peak(10);
        long short10 = Peak(10), long80 = Peak(80);
        output.WriteLine($"live heap after 10 frames {short10 / 1024} KiB, after 80 frames {long80 / 1024} KiB (one frame is {w * h * 3 * 4 / 1024} KiB)");
        Assert.True(long80 < short10 + 4L * w * h * 3 * 4, $"heap grew from {short10} to {long80} bytes over 70 more frames");
    }

}
