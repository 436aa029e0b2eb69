using Reel.Engine.Backends.Cpu;
using Reel.Engine.Color;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;
using Xunit.Abstractions;
using static Reel.Tests.Temporal.FlowTemporalTests;

namespace Reel.Tests.Temporal;

/// <summary>
/// The mode hold on FlowTemporalTests' moving texture, its chroma doubled and turned by +60° or −60°
/// per frame (a colorizer jumping between two colours): the held frames keep frame 0's turn where
/// the processed frames flip, and take a turn that lasts <see cref="ModeAlignment.Hold"/>'s patience.
/// </summary>
public class ModeAlignmentTests(ITestOutputHelper output)
{
    private const int W = 96, H = 64;

    /// <summary>The truth's Lab with a and b doubled and turned by <paramref name="degrees"/>, back in sRGB.</summary>
    private static Tensor Turned(Tensor truth, double degrees)
    {
        var lab = Lab.FromRgb(truth);
        int plane = W * H;
        double c = Math.Cos(degrees * Math.PI / 180), s = Math.Sin(degrees * Math.PI / 180);
        for (int i = 0; i < plane; i++)
        {
            double a = 2 * lab.Data[plane + i], b = 2 * lab.Data[2 * plane + i];
            lab.Data[plane + i] = (float)(c * a - s * b);
            lab.Data[2 * plane + i] = (float)(s * a + c * b);
        }
        return Lab.ToRgb(lab);
    }

    /// <summary>
    /// Of the pixels with a clear colour (chroma above 12 in the truth doubled), away from the edges the
    /// motion uncovers, the share whose hue is turned to the + side of the truth's.
    /// </summary>
    private static double PlusShare(Tensor frame, Tensor truth)
    {
        var (o, t) = (Lab.FromRgb(frame), Lab.FromRgb(truth));
        int plane = W * H, plus = 0, counted = 0;
        for (int i = 6; i < H - 6; i++)
        for (int j = 6; j < W - 6; j++)
        {
            int p = i * W + j;
            double ta = t.Data[plane + p], tb = t.Data[2 * plane + p];
            if (4 * (ta * ta + tb * tb) < 144) continue;
            counted++;
            if (ta * o.Data[2 * plane + p] - tb * o.Data[plane + p] > 0) plus++;
        }
        Assert.True(counted > plane / 10, $"only {counted} coloured pixels: the test texture lost its colour");
        return (double)plus / counted;
    }

    [Fact]
    public void EveryFrameKeepsTheFirstFramesColourWhereTheProcessedFramesJump()
    {
        var turns = new[] { 60, -60, -60, 60, -60, 60, 60, -60, -60, 60, -60, -60 };
        using var alignment = new ModeAlignment(FastBackend.Instance);
        for (int t = 0; t < turns.Length; t++)
        {
            var truth = Truth(t, W, H);
            var processed = Turned(truth, turns[t]);
            using var held = alignment.Next(Gray(truth), processed);
            double got = PlusShare(held.ToHost(), truth), given = PlusShare(processed, truth);
            output.WriteLine($"frame {t}: processed turned {turns[t]:+0;-0}° ({100 * given:F0}% on the + side), held {100 * got:F0}% on the + side");
            Assert.True(got > 0.9, $"frame {t}: only {100 * got:F0}% of the coloured pixels keep frame 0's colour");
        }
    }

    [Fact]
    public void AColourShownForThePatienceInARowIsTaken()
    {
        int patience = ModeAlignment.Hold.Patience;
        using var alignment = new ModeAlignment(FastBackend.Instance);
        for (int t = 0; t < 3 + patience + 2; t++)
        {
            var truth = Truth(t, W, H);
            using var held = alignment.Next(Gray(truth), Turned(truth, t < 3 ? 60 : -60));
            double plus = PlusShare(held.ToHost(), truth);
            // Frames 3 … 3 + patience − 2 hold the old colour; the patience-th frame of the new one takes it.
            bool newColour = t >= 3 + patience - 1;
            output.WriteLine($"frame {t}: {100 * plus:F0}% on the + side ({(newColour ? "the new colour expected" : "the old colour expected")})");
            Assert.True(newColour ? plus < 0.1 : plus > 0.9, $"frame {t}: {100 * plus:F0}% on the + side");
        }
    }
}
