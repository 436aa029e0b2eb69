using System.Globalization;
using System.Text.RegularExpressions;

namespace Reel.Engine.Video;

/// <summary>
/// A stretch of a film to restore alone (a scene to try settings on): from <see cref="From"/> (or the
/// start) up to <see cref="To"/> (or the end), in the source's own time. Frames come out timed from
/// zero, and the audio, subtitles and chapters copied in are cut alike (ffmpeg's input <c>-ss</c>/<c>-to</c>,
/// which decodes from the keyframe before and drops what precedes the start, so the cut is frame-exact).
/// </summary>
public sealed record TimeRange(TimeSpan? From, TimeSpan? To)
{
    private static readonly Regex Clock = new(@"^(?:(?:([0-9]+):)?([0-9]+):)?([0-9]+(?:\.[0-9]+)?)$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>The range of <c>--from</c> and <c>--to</c> (either may be null), or null when neither is given; a <see cref="ReelException"/> for a bad time or an empty range.</summary>
    public static TimeRange? Of(string? from, string? to)
    {
        if (from is null && to is null) return null;
        var range = new TimeRange(from is null ? null : Parse(from, "--from"), to is null ? null : Parse(to, "--to"));
        if (range.IsEmpty)
            throw new UsageException(from is null ? $"--to {to} is not after the start" : $"--to {to} is not after --from {from}");
        return range;
    }

    /// <summary>Seconds ("95.5") or a clock time ("1:35.5", "01:01:35.5"), as ffmpeg's -ss takes them; minutes and seconds under 60 after a colon.</summary>
    private static TimeSpan Parse(string text, string option)
    {
        var m = Clock.Match(text.Trim());
        double Part(int g) => m.Groups[g].Success ? double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        if (!m.Success || (m.Groups[2].Success && Part(3) >= 60) || (m.Groups[1].Success && Part(2) >= 60))
            throw new UsageException($"{option} {text}: give seconds (95.5) or a time (1:35.5, 01:01:35.5)");
        double seconds = 3600 * Part(1) + 60 * Part(2) + Part(3);
        if (seconds > LongestSeconds) throw new UsageException($"{option} {text}: more than a year into the film");
        return Time(seconds);
    }

    /// <summary>The range ends at or before it starts (its start, or the film's): no frame falls in it.</summary>
    public bool IsEmpty => Span <= TimeSpan.Zero;

    /// <summary>How long the range runs from its start (or the film's) to its end; null when it runs to the film's end.</summary>
    public TimeSpan? Span => To - (From ?? TimeSpan.Zero);

    /// <summary>The latest time a range may name: a year is past any film; far past it the ticks would overflow.</summary>
    public const double LongestSeconds = 365 * 86400;

    /// <summary>A time of 0 to <see cref="LongestSeconds"/> seconds, to the nearest tick.</summary>
    public static TimeSpan Time(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    /// <summary>ffmpeg's input options for the cut.</summary>
    public IReadOnlyList<string> InputOptions()
    {
        var args = new List<string>();
        if (From is { } f) args.AddRange(new[] { "-ss", Seconds(f) });
        if (To is { } t) args.AddRange(new[] { "-to", Seconds(t) });
        return args;
    }

    /// <summary>
    /// How long a video that runs from <paramref name="videoStart"/> to <paramref name="videoEnd"/> seconds of its
    /// file (null: an unknown end) runs within the range; null when it cannot say. A video that starts after its
    /// audio has less of the range than the range's length.
    /// </summary>
    public double? Length(double videoStart, double? videoEnd)
    {
        double end = Math.Min(To?.TotalSeconds ?? double.PositiveInfinity, videoEnd ?? double.PositiveInfinity);
        return double.IsInfinity(end) ? null : Math.Max(0, end - Math.Max(From?.TotalSeconds ?? 0, videoStart));
    }

    /// <summary>As a job's setting: "from 95.5 s to 120.0 s" (a resumed run must cut the same range).</summary>
    public override string ToString() =>
        $"from {(From is { } f ? Seconds(f) + " s" : "the start")} to {(To is { } t ? Seconds(t) + " s" : "the end")}";

    /// <summary>A time as ffmpeg's options take it, in seconds ("95.5").</summary>
    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0######", CultureInfo.InvariantCulture);
}
