using System.Globalization;

namespace Reel.Engine.Backends;

/// <summary>
/// The host memory this process can still take now: the least of what the kernel says the machine
/// has available (<c>MemAvailable</c> in /proc/meminfo: free memory plus the page cache it can drop)
/// and what the .NET heap's limit leaves above the heap the last collection kept (the machine's or its
/// container's memory, or the hard limit <c>reel restore</c> sets from <c>--memory-mb</c>; garbage
/// made since is not counted, as the collector would free it). Host tensors are managed arrays, so
/// both bound them.
/// </summary>
public static class HostMemory
{
    private const string MemInfo = "/proc/meminfo";

    /// <summary>Bytes the process can still allocate now (never negative).</summary>
    public static long AvailableBytes
    {
        get
        {
            var gc = GC.GetGCMemoryInfo();
            return Available(gc.TotalAvailableMemoryBytes, gc.HeapSizeBytes, MachineAvailableBytes());
        }
    }

    /// <summary>
    /// What is left under a heap limit of <paramref name="heapLimit"/> bytes with <paramref name="heap"/> in use,
    /// and no more than <paramref name="machine"/> (the machine's available memory; null: unknown), never negative.
    /// </summary>
    public static long Available(long heapLimit, long heap, long? machine) =>
        Math.Max(0, Math.Min(heapLimit - heap, machine ?? long.MaxValue));

    /// <summary>The kernel's MemAvailable in bytes, or null where /proc/meminfo has none (not Linux, or a kernel before 3.14).</summary>
    public static long? MachineAvailableBytes()
    {
        if (!File.Exists(MemInfo)) return null;
        foreach (var line in File.ReadLines(MemInfo))
        {
            // "MemAvailable:   20480000 kB"
            if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
            var fields = line["MemAvailable:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && fields[1] == "kB" && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
                return kib * 1024;
            return null;
        }
        return null;
    }
}
