namespace Reel.Engine.Models;

/// <summary>
/// The chroma of a shot's frames by its first two moments: the mean a, b over the shot and the
/// spread about that mean (the RMS distance of a pixel's a, b from it), both in Lab units at the
/// frames' size. <see cref="SteadySpread"/> leaves out what a frame-by-frame flicker adds: a colorizer
/// that grades each frame on its own wobbles each frame's mean chroma (a shift) and its spread about
/// that mean (a gain), and both add variance, so the frames spread more than any steady version of
/// them. That variance is estimated from successive frames' differences (von Neumann's estimator,
/// ½ E[(xₜ − xₜ₋₁)²]), so a slow change over the shot (a pan from grass to sky) counts as colour and
/// only frame-to-frame jumps as flicker.
/// </summary>
internal sealed class ShotChroma
{
    private readonly List<FrameChroma> _frames = new();

    /// <summary>Adds a frame.</summary>
    public void Add(FrameChroma f) => _frames.Add(f);

    /// <summary>The mean a, b over the shot (frames weighted alike; a shot's frames share one size); 0 with no frames.</summary>
    public (double A, double B) Mean => _frames.Count == 0 ? (0, 0) : (_frames.Average(f => f.MeanA), _frames.Average(f => f.MeanB));

    /// <summary>Variance of a, b about the shot's mean: each frame's spread and its mean's distance from the shot's.</summary>
    private double Variance
    {
        get
        {
            var (a, b) = Mean;
            return _frames.Count == 0 ? 0 : _frames.Average(f => Sq(f.MeanA - a) + Sq(f.MeanB - b) + Sq(f.Spread));
        }
    }

    /// <summary>The RMS distance of the shot's a, b from their mean.</summary>
    public double Spread => Math.Sqrt(Variance);

    /// <summary>
    /// <see cref="Spread"/> without the flicker's share. A flicker estimated at more than ¾ of the
    /// variance leaves ¼ (half the spread): frames that jump that much are more likely a missed cut or
    /// fast motion than a colorizer's wobble.
    /// </summary>
    public double SteadySpread
    {
        get
        {
            double jumps = 0;
            for (int t = 1; t < _frames.Count; t++)
            {
                var (now, before) = (_frames[t], _frames[t - 1]);
                jumps += Sq(now.MeanA - before.MeanA) + Sq(now.MeanB - before.MeanB) + Sq(now.Spread - before.Spread);
            }
            double variance = Variance, flicker = _frames.Count > 1 ? jumps / (2.0 * (_frames.Count - 1)) : 0;
            return Math.Sqrt(Math.Max(variance - flicker, variance / 4));
        }
    }

    private static double Sq(double x) => x * x;
}

/// <summary>A frame's chroma: its mean a, b and the RMS distance of its pixels' a, b from them (Lab units).</summary>
internal readonly record struct FrameChroma(double MeanA, double MeanB, double Spread);

/// <summary>
/// One affine map of a shot's a, b (Lab units), a' = gain · a + shift: what the chroma match applies to
/// every answer of a shot, so it adds no flicker.
/// </summary>
internal readonly record struct ChromaMatch(float Gain, float ShiftA, float ShiftB)
{
    /// <summary>The answers as the prior gave them.</summary>
    public static readonly ChromaMatch None = new(1f, 0f, 0f);

    /// <summary>
    /// The map that gives <paramref name="answers"/> the mean of the frames the prior <paramref name="trained"/> on
    /// (the colour it learned) and the steady spread of the frames as the colorizer <paramref name="shown"/> them,
    /// before any mode hold: the hold undoes part of a frame-wide wobble pixel by pixel, which keeps its spread
    /// in the frames but hides its jumps from <see cref="ShotChroma.SteadySpread"/>. The gain is the spreads'
    /// ratio, kept within [½, 2] so a shot with almost no colour cannot blow a trace of it up (1 when the
    /// answers do not spread at all); the shift then puts the answers' mean on the trained frames'.
    /// </summary>
    public static ChromaMatch Between(ShotChroma trained, ShotChroma shown, ShotChroma answers)
    {
        double spread = answers.Spread;
        float gain = spread > 0 ? (float)Math.Clamp(shown.SteadySpread / spread, 0.5, 2.0) : 1f;
        var (ta, tb) = trained.Mean;
        var (aa, ab) = answers.Mean;
        return new ChromaMatch(gain, (float)(ta - gain * aa), (float)(tb - gain * ab));
    }
}
