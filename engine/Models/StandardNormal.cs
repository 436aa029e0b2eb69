namespace Reel.Engine.Models;

/// <summary>
/// A seeded stream of standard normal N(0, 1) samples (Box–Muller over System.Random, whose seeded
/// sequence is stable across .NET versions). It draws the prior's initial weights, so a seed gives
/// the same net on every machine, and the noise a denoising evaluation adds, so a seed gives the
/// same noisy images.
/// </summary>
public sealed class StandardNormal
{
    private readonly Random _random;
    private double? _spare;

    /// <summary>A stream that starts from <paramref name="seed"/>.</summary>
    public StandardNormal(int seed) => _random = new Random(seed);

    /// <summary>The next sample; Box–Muller makes them in pairs, so every other call returns the pair's kept second.</summary>
    public double Next()
    {
        if (_spare is { } s)
        {
            _spare = null;
            return s;
        }
        double u1 = 1.0 - _random.NextDouble(), u2 = _random.NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }
}
