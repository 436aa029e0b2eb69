using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;

namespace Reel.Tests.Pipeline;

/// <summary>The memory plan counts the temporal stage that runs: the prior's training, the flow stage, or none.</summary>
public class MemoryPlanTests
{
    private static readonly RestoreOptions Gray = new() { MemoryBudgetBytes = 64L << 30 };

    [Fact]
    public void TheFlowStageNeedsLessThanThePriorAndMoreThanNoTemporalStage()
    {
        long none = MemoryPlan.For(1920, 1080, Gray with { Stabilize = false }).WorkingBytes;
        long flow = MemoryPlan.For(1920, 1080, Gray with { Temporal = TemporalMethod.Flow }).WorkingBytes;
        long prior = MemoryPlan.For(1920, 1080, Gray with { Temporal = TemporalMethod.Prior }).WorkingBytes;
        Assert.True(none < flow, $"the flow stage added nothing: {none} vs {flow} bytes");
        // The prior trains at a quarter of the size by default (chroma/4), so its training is no longer
        // twice the flow stage's frames at 1080p; at chroma/2 it was.
        Assert.True(flow < prior, $"a flow run reserved {flow} bytes, as much as the prior's training {prior}: the flow stage trains nothing");
        long priorHalf = MemoryPlan.For(1920, 1080, Gray with { Temporal = TemporalMethod.Prior, Prior = Gray.Prior with { ChromaScale = 2 } }).WorkingBytes;
        Assert.True(flow < priorHalf / 2, $"a flow run reserved {flow} bytes, near the chroma/2 prior's training {priorHalf}");
    }

    [Fact]
    public void AFlowRunTooLargeForItsBudgetNamesTheFlowStage()
    {
        var options = Gray with { Temporal = TemporalMethod.Flow, MemoryBudgetBytes = 256L << 20 };
        var error = Assert.Throws<ReelException>(() => MemoryPlan.For(1920, 1080, options));
        Assert.Contains("the flow stage", error.Message);
        Assert.DoesNotContain("prior", error.Message);
    }

    [Fact]
    public void DnCnnGoesInTilesWhenTheWholeFrameWouldNotFitAndTheRestDoes()
    {
        using var net = DnCnn.FromWeights(RandomWeights.DnCnnB(new Random(1)), FastBackend.Instance);
        var options = new RestoreOptions { Denoiser = net, Stabilize = false, MemoryBudgetBytes = 16L << 30 };
        Assert.Equal(long.MaxValue, MemoryPlan.For(3840, 2160, options).DenoiseTilePixels);

        // 4K DnCNN-B needs about 9.5 GB of activations for the whole frame: at 4 GB it goes in tiles, within the budget.
        var tiled = MemoryPlan.For(3840, 2160, options with { MemoryBudgetBytes = 4L << 30 });
        Assert.True(tiled.DenoiseTilePixels < 3840L * 2160, $"a 4K frame was planned whole in 4 GiB (tile pixels {tiled.DenoiseTilePixels})");
        Assert.InRange(tiled.WorkingBytes, 1, 4L << 30);
        var grid = net.Tiles(2160, 3840, tiled.DenoiseTilePixels);
        Assert.InRange(grid.Work, 1.0, 1.2);

        // What does not tile (the frame queues) still has to fit: refused, naming a budget that works.
        var error = Assert.Throws<ReelException>(() => MemoryPlan.For(3840, 2160, options with { MemoryBudgetBytes = 1L << 30 }));
        Assert.Contains("raise it to at least", error.Message);
    }
}
