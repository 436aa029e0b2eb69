using System.Globalization;
using System.Text.RegularExpressions;

namespace Reel.Engine.Video;

/// <summary>SMPTE timecodes ("HH:MM:SS:FF") moved along a video.</summary>
public static class Timecodes
{
    // The frames in one digit too, as ffmpeg writes them at 10 fps and below.
    private static readonly Regex AnyCount = new(@"^([0-9]{2}:[0-9]{2}:[0-9]{2})[:;.]([0-9]{1,2})$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>
    /// The same second with its frame number scaled by <paramref name="keep"/>/<paramref name="of"/>, counted
    /// without drop-frame (a 30-frame count at 24 once telecine is removed; drop-frame counting has no
    /// 24-frame form). Null for anything it does not read.
    /// </summary>
    public static string? ScaleFrames(string timecode, int keep, int of)
    {
        var m = AnyCount.Match(timecode);
        return m.Success
            ? string.Create(CultureInfo.InvariantCulture, $"{m.Groups[1].Value}:{int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) * keep / of:D2}")
            : null;
    }

    private static readonly Regex NonDrop = new(@"^([0-9]{2}):([0-9]{2}):([0-9]{2}):([0-9]{1,2})$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>
    /// The timecode of the first frame at or after <paramref name="by"/>, counting whole frames at
    /// <paramref name="rate"/> (in the frames a second the count uses: 24 for 24000/1001), as ffmpeg's
    /// input seek keeps that frame. Null for drop-frame timecodes (';'), whose skipped numbers this does
    /// not count, and for anything it does not read.
    /// </summary>
    public static string? Advance(string timecode, string rate, TimeSpan by)
    {
        var m = NonDrop.Match(timecode);
        if (!m.Success || !Rational.TryParse(rate, out var num, out var den) || num <= 0 || den <= 0) return null;
        long fps = Math.Max(1, (long)Math.Round((double)num / den));
        int Part(int g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        long frames = ((Part(1) * 60L + Part(2)) * 60 + Part(3)) * fps + Part(4) + (long)Math.Ceiling(by.TotalSeconds * num / den - 1e-6);
        long perDay = 24 * 3600 * fps;
        frames = (frames % perDay + perDay) % perDay;
        return string.Create(CultureInfo.InvariantCulture,
            $"{frames / fps / 3600:D2}:{frames / fps / 60 % 60:D2}:{frames / fps % 60:D2}:{frames % fps:D2}");
    }
}
