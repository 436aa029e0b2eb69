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

    private static readonly Regex Parts = new(@"^([0-9]{2}):([0-9]{2}):([0-9]{2})([:;.])([0-9]{1,2})$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>
    /// The timecode of the first frame at or after <paramref name="by"/>, counting whole frames at
    /// <paramref name="rate"/> (in the frames a second the count uses: 24 for 24000/1001), as ffmpeg's
    /// input seek keeps that frame. A drop-frame timecode (';' or '.', at 29.97 or 59.94) stays one: its count
    /// skips the first 2 (4) numbers of every minute but each tenth, which are no frames. Null for anything it
    /// does not read.
    /// </summary>
    public static string? Advance(string timecode, string rate, TimeSpan by)
    {
        var m = Parts.Match(timecode);
        if (!m.Success || !Rational.TryParse(rate, out var num, out var den) || num <= 0 || den <= 0) return null;
        long fps = Math.Max(1, (long)Math.Round((double)num / den));
        bool drop = m.Groups[4].Value != ":";
        // Drop-frame counting exists for 30 and 60 frames a second alone.
        long dropped = drop ? fps switch { 30 => 2, 60 => 4, _ => -1 } : 0;
        if (dropped < 0) return null;
        int Part(int g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        long minutes = Part(1) * 60L + Part(2);
        long frames = (minutes * 60 + Part(3)) * fps + Part(5) - dropped * (minutes - minutes / 10)
                      + (long)Math.Ceiling(by.TotalSeconds * num / den - 1e-6);
        long perTenMinutes = fps * 600 - dropped * 9, perDay = perTenMinutes * 144;
        frames = (frames % perDay + perDay) % perDay;
        // Back to the labels: the numbers skipped before this frame put back.
        if (dropped > 0)
        {
            long tens = frames / perTenMinutes, rest = frames % perTenMinutes;
            frames += dropped * 9 * tens + (rest > dropped ? dropped * ((rest - dropped) / (fps * 60 - dropped)) : 0);
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{frames / fps / 3600:D2}:{frames / fps / 60 % 60:D2}:{frames / fps % 60:D2}{(drop ? ";" : ":")}{frames % fps:D2}");
    }
}
