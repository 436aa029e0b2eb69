using System.Diagnostics;

namespace Reel.Cli.Commands;

/// <summary>
/// Time since this process started, for the lines a command writes of itself (its `end` line, the `--devices` workers'
/// relayed lines): the start read from the wall clock once, then a monotonic clock, so the time never runs backwards when
/// the wall clock is set back (daylight saving's end, an NTP step) during a run of hours.
/// </summary>
public static class RunClock
{
    private static readonly Stopwatch Since = Stopwatch.StartNew();
    private static readonly TimeSpan AtFirstRead = StartedAgo();

    /// <summary>How long this process has been running.</summary>
    public static TimeSpan Elapsed => AtFirstRead + Since.Elapsed;

    private static TimeSpan StartedAgo()
    {
        using var self = Process.GetCurrentProcess();
        return DateTime.UtcNow - self.StartTime.ToUniversalTime();
    }
}
