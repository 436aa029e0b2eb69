namespace Reel.Engine.Metrics;

/// <summary>
/// Seeded N(0, 1) samples (Box–Muller over System.Random, whose seeded sequence is stable
/// across .NET versions), so an evaluation with the same seed sees the same noise.
/// </summary>
public sealed class GaussianNoise
{
    private readonly Random _random;
    private double? _spare;

    public GaussianNoise(int seed) => _random = new Random(seed);

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
