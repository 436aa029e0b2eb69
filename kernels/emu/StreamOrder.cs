namespace Reel.Emulation;

/// <summary>
/// What orders the emulated device's work, kept so that a hazard a GPU could show is an error here,
/// though the emulator runs every operation at once. Each stream, and the host (whose work with no
/// stream is synchronous), has a vector clock: one count per stream and for the host of the
/// operations known to be done before its next one. An operation ticks its own clock; work enqueued
/// on a stream comes after what the host knew; an event carries the clock its stream had when it was
/// recorded; a stream waiting for it, or the host waiting for it or for a stream, takes that clock in.
/// The host's threads count as one: what they do to the same memory their own code orders. Every
/// allocation the device made (device memory, and page-locked host memory) remembers its last write
/// and the reads since, each as (who, its count then); an access from someone whose clock has not
/// reached them is a race (read after write, write after read or after write) and throws, naming
/// both operations.
/// </summary>
internal sealed class StreamOrder
{
    private readonly object _gate = new();
    private readonly Dictionary<int, Dictionary<int, int>> _clocks = new();
    private readonly List<(nint Start, long Bytes, Access Access)> _allocations = new();

    /// <summary>The host's id (streams count from 1).</summary>
    public const int Host = 0;

    /// <summary>A new allocation at <paramref name="start"/>: nothing has used it yet.</summary>
    public void Allocated(nint start, long bytes)
    {
        lock (_gate)
        {
            int i = Find(start, exact: true);
            _allocations.Insert(~i, (start, Math.Max(bytes, 1), new Access()));
        }
    }

    /// <summary>The allocation at <paramref name="start"/> is gone (freeing waits for the device, so its history ends here).</summary>
    public void Freed(nint start)
    {
        lock (_gate)
        {
            int i = Find(start, exact: true);
            if (i >= 0) _allocations.RemoveAt(i);
        }
    }

    /// <summary>
    /// The operation <paramref name="what"/> by <paramref name="by"/> (a stream's number, or <see cref="Host"/>)
    /// reading and writing the allocations that hold those addresses (others, such as host memory, are not tracked).
    /// </summary>
    public void Run(int by, string what, IEnumerable<nint> reads, IEnumerable<nint> writes)
    {
        lock (_gate)
        {
            var clock = ClockOf(by);
            if (by != Host) Join(clock, ClockOf(Host));
            int now = clock[by] = clock.GetValueOrDefault(by) + 1;
            foreach (var address in reads)
            {
                if (Locate(address) is not { } a) continue;
                Require(a.LastWrite, by, clock, what, "reads what", "wrote");
                a.Reads[by] = (now, what);
            }
            foreach (var address in writes)
            {
                if (Locate(address) is not { } a) continue;
                Require(a.LastWrite, by, clock, what, "writes what", "wrote");
                foreach (var (reader, (count, readWhat)) in a.Reads) Require((reader, count, readWhat), by, clock, what, "overwrites what", "had still to read");
                a.LastWrite = (by, now, what);
                a.Reads.Clear();
            }
        }
    }

    /// <summary>The clock <paramref name="stream"/> has now (what an event recorded on it carries).</summary>
    public Dictionary<int, int> Snapshot(int stream)
    {
        lock (_gate)
        {
            var clock = ClockOf(stream);
            Join(clock, ClockOf(Host));
            return new Dictionary<int, int>(clock);
        }
    }

    /// <summary><paramref name="waiter"/> (a stream, or the host) comes after the work that <paramref name="done"/> stands for.</summary>
    public void Join(int waiter, Dictionary<int, int> done)
    {
        lock (_gate) Join(ClockOf(waiter), done);
    }

    /// <summary>The host has waited for everything enqueued on every stream (cuCtxSynchronize).</summary>
    public void JoinAll()
    {
        lock (_gate)
        {
            var host = ClockOf(Host);
            foreach (var (id, clock) in _clocks.ToArray())
                if (id > 0) Join(host, clock);
        }
    }

    /// <summary>
    /// How many operations of <paramref name="by"/> come before the next one of <paramref name="seenBy"/>
    /// (which, on a stream, also comes after what the host knows): by's own count when they are the same.
    /// </summary>
    public int Seen(int by, int seenBy)
    {
        lock (_gate)
        {
            int known = ClockOf(seenBy).GetValueOrDefault(by);
            return seenBy == Host || seenBy == by ? known : Math.Max(known, ClockOf(Host).GetValueOrDefault(by));
        }
    }

    private Dictionary<int, int> ClockOf(int id)
    {
        if (!_clocks.TryGetValue(id, out var clock)) _clocks[id] = clock = new Dictionary<int, int>();
        return clock;
    }

    private static void Join(Dictionary<int, int> into, Dictionary<int, int> from)
    {
        foreach (var (id, count) in from)
            if (into.GetValueOrDefault(id) < count) into[id] = count;
    }

    private static void Require((int By, int Count, string What)? earlier, int by, Dictionary<int, int> clock, string what, string verb, string earlierVerb)
    {
        if (earlier is not { } e || e.By == by || clock.GetValueOrDefault(e.By) >= e.Count) return;
        throw new InvalidOperationException(
            $"race on the emulated device: {what} ({Name(by)}) {verb} {e.What} ({Name(e.By)}) {earlierVerb}, with nothing ordering the two (an event wait or a host synchronize)");
    }

    private static string Name(int id) => id == Host ? "the host" : $"stream {id}";

    private Access? Locate(nint address)
    {
        if (address == 0) return null;
        int i = Find(address, exact: false);
        if (i < 0) return null;
        var (start, bytes, access) = _allocations[i];
        return address - start < bytes ? access : null;
    }

    /// <summary>The index of the allocation starting at <paramref name="address"/> (exact) or the last one starting at or before it; a negative complement where there is none.</summary>
    private int Find(nint address, bool exact)
    {
        int lo = 0, hi = _allocations.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_allocations[mid].Start == address) return mid;
            if (_allocations[mid].Start < address) lo = mid + 1;
            else hi = mid - 1;
        }
        return exact ? ~lo : lo - 1;
    }

    private sealed class Access
    {
        public (int By, int Count, string What)? LastWrite;
        public Dictionary<int, (int Count, string What)> Reads { get; } = new();
    }
}
