namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Plans computed once per key and reused: conv plans per (op, input shape), graphs per frame
/// shape. Counts hits and misses so tests (and `reel bench`) can see that planning ran once.
/// </summary>
internal sealed class PlanCache<TKey, TPlan> where TKey : notnull
{
    private readonly Dictionary<TKey, TPlan> _plans = new();
    private readonly object _gate = new();

    public int Hits { get; private set; }
    public int Misses { get; private set; }
    public int Count
    {
        get { lock (_gate) return _plans.Count; }
    }

    public TPlan GetOrCreate(TKey key, Func<TKey, TPlan> create)
    {
        lock (_gate)
        {
            if (_plans.TryGetValue(key, out var plan))
            {
                Hits++;
                return plan;
            }
            Misses++;
            plan = create(key);
            _plans[key] = plan;
            return plan;
        }
    }

    /// <summary>The plan made for <paramref name="key"/>, if one was (not counted as a hit).</summary>
    public bool TryGet(TKey key, out TPlan plan)
    {
        lock (_gate) return _plans.TryGetValue(key, out plan!);
    }

    /// <summary>The values, for disposal by the owner.</summary>
    public IReadOnlyList<TPlan> Values
    {
        get { lock (_gate) return _plans.Values.ToArray(); }
    }
}
