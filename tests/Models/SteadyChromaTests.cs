using Reel.Engine.Models;

namespace Reel.Tests.Models;

public class SteadyChromaTests
{
    /// <summary>
    /// Frames of one chroma field (a, b per pixel), each as a frame-by-frame colorizer grades it: the field
    /// times a gain, plus a shift, both drawn per frame; added by their sums as the stage adds them.
    /// </summary>
    private static (SteadyChroma Steady, double MeanEnergy, double FieldEnergy) Graded(int frames, Func<int, (double Gain, double A, double B)> grade)
    {
        const int pixels = 4096;
        var noise = new StandardNormal(11);
        var field = Enumerable.Range(0, pixels).Select(_ => (A: 6 + 15 * noise.Next(), B: -4 + 15 * noise.Next())).ToArray();
        var steady = new SteadyChroma();
        double total = 0;
        for (int t = 0; t < frames; t++)
        {
            var (gain, da, db) = grade(t);
            double sumA = 0, sumB = 0, energy = 0;
            foreach (var (a0, b0) in field)
            {
                double a = gain * a0 + da, b = gain * b0 + db;
                (sumA, sumB, energy) = (sumA + a, sumB + b, energy + a * a + b * b);
            }
            steady.Add(sumA, sumB, energy, pixels);
            total += energy / pixels;
        }
        return (steady, total / frames, field.Average(p => p.A * p.A + p.B * p.B));
    }

    /// <summary>
    /// A per-frame gain (σ 0.25) and shift (σ 6 units, synthetic_flicker.py's chroma wobble) add about a
    /// third to the field's energy; the steady energy is the field's own.
    /// </summary>
    [Fact]
    public void FrameByFrameFlickerIsNotCountedAsColour()
    {
        var noise = new StandardNormal(5);
        var (steady, mean, field) = Graded(400, _ => (1 + 0.25 * noise.Next(), 6 * noise.Next(), 6 * noise.Next()));
        Assert.True(mean > 1.2 * field, $"the flicker adds only {mean / field:F3}× the field's energy: nothing to remove");
        Assert.InRange(steady.PerPixel / field, 0.93, 1.07);
    }

    /// <summary>A slow change over the shot, the mean chroma moving from green to red, is colour: all of it is kept.</summary>
    [Fact]
    public void ASlowChangeIsKept()
    {
        const int frames = 40;
        var (steady, mean, _) = Graded(frames, t => (0.8 + 0.4 * t / (frames - 1), -20 + 40.0 * t / (frames - 1), 0));
        Assert.InRange(steady.PerPixel / mean, 0.99, 1.0);
    }

    [Fact]
    public void JumpsLeaveAtLeastAQuarterOfTheEnergy()
    {
        var (steady, mean, _) = Graded(2, t => (1, t == 0 ? -80 : 80, 0));
        Assert.Equal(mean / 4, steady.PerPixel, 9);
        Assert.Equal(0, new SteadyChroma().PerPixel);
    }

    [Fact]
    public void OneFrameIsSteady()
    {
        var (steady, mean, _) = Graded(1, _ => (1.3, 5, -5));
        Assert.Equal(mean, steady.PerPixel, 9);
    }
}
