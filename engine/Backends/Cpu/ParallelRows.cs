namespace Reel.Engine.Backends.Cpu;

/// <summary>The fast path's loop over rows (or stripes): parallel only where the work pays for starting the pool's workers.</summary>
internal static class ParallelRows
{
    /// <summary>Below this many operations a loop runs on the calling thread.</summary>
    public const long MinParallelWork = 1 << 20;

    /// <summary>Runs body(0 … count − 1); <paramref name="work"/> is about how many scalar operations the whole loop does.</summary>
    public static void For(int count, long work, Action<int> body)
    {
        if (work < MinParallelWork || count < 2)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        int chunks = Math.Min(count, Environment.ProcessorCount * 2);
        Parallel.For(0, chunks, k =>
        {
            for (int i = k * count / chunks; i < (k + 1) * count / chunks; i++) body(i);
        });
    }
}
