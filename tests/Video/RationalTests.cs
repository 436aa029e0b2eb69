using Reel.Engine.Video;

namespace Reel.Tests.Video;

/// <summary>The tick arithmetic an AVI's grid is found with: exact where a double is not, over a whole film.</summary>
public class RationalTests
{
    [Theory]
    [InlineData(1, 90000)]
    [InlineData(1001, 30000)]
    [InlineData(1, 81920)]
    [InlineData(1, 1000000000)]
    public void NanosecondsGoBackToTheTicksTheyCameFrom(long num, long den)
    {
        // Up to ten hours in ticks, where ns × den passes 2^53 and a double rounds the tick.
        long hours10 = Rational.NsToTicks(36_000_000_000_000, num, den);
        foreach (long ticks in new[] { 0L, 1, -1, 7, hours10 - 1, hours10, hours10 + 1, -hours10 })
            Assert.Equal(ticks, Rational.NsToTicks(Rational.TicksToNs(ticks, num, den), num, den));
    }

    [Theory]
    [InlineData("10", "1/10")]
    [InlineData("10/1", "1/10")]
    [InlineData("30000/1001", "1001/30000")]
    [InlineData("1/10", "10")]
    public void ARatesTickIsItsInverse(string rate, string tick) => Assert.Equal(tick, Rational.Inverse(rate));

    [Theory]
    [InlineData("0")]
    [InlineData("0/0")]
    [InlineData("-25")]
    [InlineData("fast")]
    public void OnlyAPositiveRateHasATick(string rate) => Assert.Throws<ArgumentException>(() => Rational.Inverse(rate));
}
