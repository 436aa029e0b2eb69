using Reel.Engine.Models;

namespace Reel.Tests.Models;

public class ShotChromaTests
{
    private const int Pixels = 4096;

    /// <summary>One chroma field (a, b per pixel): a colour around (6, −4) spread over 15 units per channel.</summary>
    private static (double A, double B)[] Field(int seed)
    {
        var noise = new StandardNormal(seed);
        return Enumerable.Range(0, Pixels).Select(_ => (A: 6 + 15 * noise.Next(), B: -4 + 15 * noise.Next())).ToArray();
    }

    private static (double A, double B, double Spread) Moments((double A, double B)[] field)
    {
        double a = field.Average(p => p.A), b = field.Average(p => p.B);
        return (a, b, Math.Sqrt(field.Average(p => (p.A - a) * (p.A - a) + (p.B - b) * (p.B - b))));
    }

    /// <summary>The field's frames as a frame-by-frame colorizer grades them: times a gain, plus a shift, both per frame.</summary>
    private static ShotChroma Graded((double A, double B)[] field, int frames, Func<int, (double Gain, double A, double B)> grade)
    {
        var shot = new ShotChroma();
        for (int t = 0; t < frames; t++)
        {
            var (gain, da, db) = grade(t);
            var (a, b, spread) = Moments(field.Select(p => (A: gain * p.A + da, B: gain * p.B + db)).ToArray());
            shot.Add(new FrameChroma(a, b, spread));
        }
        return shot;
    }

    /// <summary>
    /// A per-frame gain (σ 0.25) and shift (σ 6 units, synthetic_flicker.py's chroma wobble) make the frames
    /// spread a tenth more than the field (a fifth more variance); the steady spread and the mean are the field's own.
    /// </summary>
    [Fact]
    public void FrameByFrameFlickerIsNotCountedAsColour()
    {
        var field = Field(11);
        var noise = new StandardNormal(5);
        var shot = Graded(field, 400, _ => (1 + 0.25 * noise.Next(), 6 * noise.Next(), 6 * noise.Next()));
        var truth = Moments(field);
        Assert.True(shot.Spread > 1.08 * truth.Spread, $"the flicker adds only {shot.Spread / truth.Spread:F3}× the field's spread: nothing to remove");
        Assert.InRange(shot.SteadySpread / truth.Spread, 0.97, 1.03);
        Assert.InRange(shot.Mean.A - truth.A, -0.6, 0.6);
        Assert.InRange(shot.Mean.B - truth.B, -0.6, 0.6);
    }

    /// <summary>
    /// A gain alone (σ 0.4) flickers each frame's spread and, the field not being gray, its mean; the steady
    /// spread is the field's at the gains' mean (that of the 400 drawn, within a few hundredths of 1).
    /// </summary>
    [Fact]
    public void AFlickeringGainIsNotCountedAsColour()
    {
        var field = Field(11);
        var noise = new StandardNormal(7);
        var gains = Enumerable.Range(0, 400).Select(_ => 1 + 0.4 * noise.Next()).ToArray();
        var shot = Graded(field, gains.Length, t => (gains[t], 0, 0));
        double steady = gains.Average() * Moments(field).Spread;
        Assert.True(shot.Spread > 1.05 * steady, $"the gain adds only {shot.Spread / steady:F3}× the steady spread: nothing to remove");
        Assert.InRange(shot.SteadySpread / steady, 0.98, 1.02);
    }

    /// <summary>A slow change over the shot, the mean chroma moving from green to red, is colour: all of it is kept.</summary>
    [Fact]
    public void ASlowChangeIsKept()
    {
        const int frames = 40;
        var shot = Graded(Field(11), frames, t => (0.8 + 0.4 * t / (frames - 1), -20 + 40.0 * t / (frames - 1), 0));
        Assert.InRange(shot.SteadySpread / shot.Spread, 0.995, 1.0);
    }

    [Fact]
    public void JumpsLeaveAtLeastHalfTheSpread()
    {
        var shot = Graded(Field(11), 2, t => (1, t == 0 ? -80 : 80, 0));
        Assert.Equal(shot.Spread / 2, shot.SteadySpread, 9);
        Assert.Equal(0, new ShotChroma().SteadySpread);
    }

    [Fact]
    public void OneFrameIsSteady()
    {
        var field = Field(11);
        var shot = Graded(field, 1, _ => (1, 0, 0));
        var truth = Moments(field);
        Assert.Equal(truth.Spread, shot.SteadySpread, 6);
        Assert.Equal(truth.Spread, shot.Spread, 6);
        Assert.Equal(truth.A, shot.Mean.A, 9);
        Assert.Equal(truth.B, shot.Mean.B, 9);
    }

    /// <summary>
    /// The match maps answers that are grayer and off-centre (0.6 of the colour, shifted) onto the mean of the
    /// frames trained on and the steady spread of the frames as shown: applied to the answers' own pixels, it
    /// gives those moments (here the shown frames are the trained ones scaled and shifted, so each moment has one source).
    /// </summary>
    [Fact]
    public void TheMatchGivesTheAnswersTheTrainedMeanAndTheShownSpread()
    {
        var field = Field(11);
        var trained = Graded(field, 3, _ => (1, 0, 0));
        var shown = Graded(field, 3, _ => (1.1, 20, 20));
        var answerField = field.Select(p => (A: 0.6 * p.A + 3, B: 0.6 * p.B - 2)).ToArray();
        var answers = Graded(answerField, 3, _ => (1, 0, 0));
        var match = ChromaMatch.Between(trained, shown, answers);
        Assert.Equal(1.1 / 0.6, match.Gain, 4);
        var mapped = Moments(answerField.Select(p => (A: match.Gain * p.A + match.ShiftA, B: match.Gain * p.B + match.ShiftB)).ToArray());
        var truth = Moments(field);
        Assert.Equal(1.1 * truth.Spread, mapped.Spread, 3);
        Assert.Equal(truth.A, mapped.A, 3);
        Assert.Equal(truth.B, mapped.B, 3);
    }

    [Fact]
    public void TheGainStaysWithinHalfAndTwice()
    {
        var field = Field(11);
        var full = Graded(field, 2, _ => (1, 0, 0));
        var faint = Graded(field, 2, _ => (0.1, 0, 0));
        Assert.Equal(2f, ChromaMatch.Between(full, full, faint).Gain);
        Assert.Equal(0.5f, ChromaMatch.Between(faint, faint, full).Gain);
        var gray = Graded(field, 2, _ => (0, 5, 5));
        Assert.Equal(new ChromaMatch(1f, (float)(full.Mean.A - 5), (float)(full.Mean.B - 5)), ChromaMatch.Between(full, full, gray));
    }
}
