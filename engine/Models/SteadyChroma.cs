namespace Reel.Engine.Models;

/// <summary>
/// The chroma energy per pixel that a shot's frames hold steadily: their mean a² + b² less what a
/// frame-by-frame flicker adds to it. A colorizer that grades each frame on its own wobbles each
/// frame's mean chroma (a shift) and its spread about that mean (a gain); both add variance, so the
/// frames hold more energy than any steady version of them. That variance is estimated from
/// successive frames' differences (von Neumann's estimator, ½ E[(xₜ − xₜ₋₁)²]), so a slow change over
/// the shot (a pan from grass to sky) counts as content and only frame-to-frame jumps as flicker.
/// The stage adds the targets as the prior trains on them, their modes held: a hue jump the hold has
/// undone is not counted (it keeps the energy), and of a global shift it sees what the hold let through.
/// </summary>
internal sealed class SteadyChroma
{
    private readonly List<(double A, double B, double Spread, double Energy)> _frames = new();

    /// <summary>Adds a frame by its sums over <paramref name="pixels"/> pixels: Σ a, Σ b and Σ a² + b².</summary>
    public void Add(double sumA, double sumB, double energy, long pixels)
    {
        double a = sumA / pixels, b = sumB / pixels, e = energy / pixels;
        _frames.Add((a, b, Math.Sqrt(Math.Max(0, e - a * a - b * b)), e));
    }

    /// <summary>Frames added so far.</summary>
    public int Count => _frames.Count;

    /// <summary>
    /// The steady energy per pixel; 0 with no frames. A flicker estimated at more than ¾ of the energy
    /// leaves ¼ (half the RMS): frames that jump that much are more likely a missed cut or fast motion
    /// than a colorizer's wobble.
    /// </summary>
    public double PerPixel
    {
        get
        {
            if (_frames.Count == 0) return 0;
            double energy = _frames.Average(f => f.Energy);
            double jumps = 0;
            for (int t = 1; t < _frames.Count; t++)
            {
                var (now, before) = (_frames[t], _frames[t - 1]);
                jumps += Sq(now.A - before.A) + Sq(now.B - before.B) + Sq(now.Spread - before.Spread);
            }
            double flicker = _frames.Count > 1 ? jumps / (2.0 * (_frames.Count - 1)) : 0;
            return Math.Max(energy - flicker, energy / 4);
        }
    }

    private static double Sq(double x) => x * x;
}
