using System.Globalization;

namespace Reel.Engine.Video;

/// <summary>"num/den" strings as ffmpeg prints frame rates and time bases.</summary>
public static class Rational
{
    /// <summary>
    /// Reads "num/den" or a whole number (den = 1); false for null, empty, non-numeric text or a zero
    /// denominator. Signs and a zero numerator pass: callers that need a positive rate check it.
    /// </summary>
    public static bool TryParse(string? text, out long num, out long den)
    {
        num = 0;
        den = 1;
        if (string.IsNullOrEmpty(text)) return false;
        var parts = text.Split('/');
        if (!long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out num)) return false;
        if (parts.Length == 1) return true;
        return parts.Length == 2 && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out den) && den != 0;
    }

    /// <summary>num/den in lowest terms, as ffmpeg writes a rate ("24000/1001"; "24" when whole); den must be positive.</summary>
    public static string Reduce(long num, long den)
    {
        long g = (long)System.Numerics.BigInteger.GreatestCommonDivisor(num, den);
        return den / g == 1 ? (num / g).ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{num / g}/{den / g}");
    }

    /// <summary>The time base of one tick at a positive <paramref name="rate"/>: "1/10" for "10", "1001/30000" for "30000/1001".</summary>
    public static string Inverse(string rate) => TryParse(rate, out var num, out var den) && num > 0 && den > 0
        ? Reduce(den, num) : throw new ArgumentException($"not a positive rate: {rate}", nameof(rate));

    /// <summary>One frame at <paramref name="rate"/> ("25", "30000/1001") in nanoseconds; 40 ms (25 fps) when the rate is unknown.</summary>
    public static long FrameNs(string? rate) =>
        TryParse(rate, out var num, out var den) && num > 0 && den > 0 ? TicksToNs(1, den, num) : 40_000_000;

    /// <summary><paramref name="ns"/> nanoseconds in ticks of num/den seconds, rounded half away from zero (the inverse of <see cref="TicksToNs"/>).</summary>
    public static long NsToTicks(long ns, long num, long den)
    {
        Int128 scaled = (Int128)ns * den, per = (Int128)num * 1_000_000_000;
        return (long)((scaled * 2 + (scaled >= 0 ? per : -per)) / (2 * per));
    }

    /// <summary>ticks × num/den seconds in nanoseconds, rounded half away from zero, exact for any 64-bit tick count.</summary>
    public static long TicksToNs(long ticks, long num, long den)
    {
        if (den < 0) (num, den) = (-num, -den);
        Int128 scaled = (Int128)ticks * num * 1_000_000_000;
        return (long)((scaled * 2 + (scaled >= 0 ? den : -den)) / (2 * (Int128)den));
    }
}
