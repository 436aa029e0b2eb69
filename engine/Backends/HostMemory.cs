using System.Globalization;

namespace Reel.Engine.Backends;

/// <summary>
/// The host memory this process can still take now: the least of what the kernel says the machine
/// has available (<c>MemAvailable</c> in /proc/meminfo: free memory plus the page cache it can drop)
/// and what the .NET heap's limit leaves above the heap in use (the machine's or its container's
/// memory, or the hard limit <c>reel restore</c> sets from <c>--memory-mb</c>). Host tensors are
/// managed arrays, so both bound them.
/// </summary>
public static class HostMemory
{
    private const string MemInfo = "/proc/meminfo";

    /// <summary>Bytes the process can still allocate now (never negative).</summary>
    public static long AvailableBytes
    {
        get
        {
            long left = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetTotalMemory(forceFullCollection: false);
            if (MachineAvailableBytes() is long machine) left = Math.Min(left, machine);
            return Math.Max(0, left);
        }
    }

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
