using Reel.Engine.Backends;
using Reel.Engine.Pipeline;
using Reel.Engine.Tensors;

namespace Reel.Cli.Commands;

/// <summary>
/// Holds the process to what <c>--memory-mb</c> allows. The pipeline keeps what it holds within
/// the budget (<see cref="MemoryPlan"/>); the .NET collector, left alone, lets its heap float far
/// above what is live (measured: 3.4 GB of RSS for a 96×64 restore that runs in a 1.5 GB heap).
/// So the heap is capped at what the networks hold once loaded (fixed), the prior's per-shot
/// state, 1.5 × the budget (the budget and room for the collector to work in) and
/// <see cref="SlackBytes"/>. Running out then is a one-line error, not a crash.
/// </summary>
public static class MemoryCap
{
    /// <summary>Room for the collector's own bookkeeping and fragmentation, which do not shrink with the budget.</summary>
    public const long SlackBytes = 64L << 20;

    /// <summary>The default budget in MiB: the engine's (half the memory this process may use: the machine's, or its container's limit).</summary>
    public static int DefaultBudgetMb => (int)Math.Min(int.MaxValue, new RestoreOptions().MemoryBudgetBytes >> 20);

    /// <summary>Caps the heap for a run of <paramref name="options"/>, once its networks are loaded; returns the cap, or null when the machine's own limit is lower.</summary>
    public static long? Apply(RestoreOptions options, IBackend backend)
    {
        // The networks prepare part of their kernels on their first frame (the colorizer 0.27 GB of
        // its 0.73): run each once on a tiny frame, so the heap measured next is what they hold for good.
        var tiny = new Tensor(new Shape(1, 3, 8, 8));
        using (options.Denoiser?.Forward(options.Denoiser.Channels == 1 ? new Tensor(new Shape(1, 1, 8, 8)) : tiny))
        using (options.Colorizer is null ? null : new ColorizeStage(options.Colorizer, backend).Colorize(tiny, options.Temperature))
        {
            // Results on a GPU backend hold device memory: given back at once.
        }
        long loaded = GC.GetTotalMemory(forceFullCollection: true);
        long cap = loaded + (options.TrainsPrior ? MemoryPlan.PriorFixedBytes(options.Prior) : 0) + options.MemoryBudgetBytes * 3 / 2 + SlackBytes;
        if (cap >= GC.GetGCMemoryInfo().TotalAvailableMemoryBytes) return null;
        AppContext.SetData("GCHeapHardLimit", (ulong)cap);
        GC.RefreshMemoryLimit();
        return cap;
    }
}
