using System.Globalization;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;
using Reel.Tests.Support;
using Xunit.Abstractions;

namespace Reel.Tests.Temporal;

/// <summary>
/// The colorizer-aware fusion on synthetic ECCV16 distributions whose winning mode jumps: every pixel
/// of a moving 48×40 grid has two plausible colours, a green that wins in about 70% of the frames and
/// a red that wins in the rest (logits 5 and 4 over a floor of 0, the real 313 bin centres). Decoded
/// frame by frame the colour jumps (or, at T = 1, averages towards brown); fused along the flow with the
/// defaults (a memory of ~20 frames, T = 0.38) it settles on the green and stays saturated.
/// </summary>
public class FusedColorDistributionsTests(ITestOutputHelper output)
{
    private const int W = 48, H = 40, Q = 313, Frames = 30;
    private const float ShiftX = 1.5f, ShiftY = -0.5f;

    [Fact]
    public void FusedDistributionsKeepTheMajorityColourWhereFrameByFrameDecodingJumps()
    {
        var centres = Centres();
        int green = Nearest(centres, -40, 50), red = Nearest(centres, 60, 40);
        var rng = new Random(11);
        var fusion = new FusedColorDistributions(new FlowTemporalOptions(), FastBackend.Instance);
        var mode = FastBackend.Instance.Prepare(new AnnealedMeanOp(Q, 0.38f), centres);
        var mean = FastBackend.Instance.Prepare(new AnnealedMeanOp(Q, 1f), centres);
        // Frame t − 1's content sits at p − shift in frame t's coordinates, so the backward flow is −shift.
        var back = new Tensor(new Shape(1, 2, H, W));
        Array.Fill(back.Data, -ShiftX, 0, H * W);
        Array.Fill(back.Data, -ShiftY, H * W, H * W);
        var sure = new Tensor(new Shape(1, 1, H, W));
        Array.Fill(sure.Data, 1f);
        var motion = new Motion(back, sure);

        int redFrames = 0, fusedStayedGreen = 0, perFrameJumped = 0;
        double worstSaturation = double.MaxValue, meanSaturation = 0;
        double greenSaturation = Math.Sqrt(Sq(centres.Data[green]) + Sq(centres.Data[Q + green]));
        for (int t = 0; t < Frames; t++)
        {
            bool redWins = t > 0 && rng.NextDouble() < 0.3;
            redFrames += redWins ? 1 : 0;
            var logits = Logits(t, redWins ? red : green, redWins ? green : red, rng);
            var fused = fusion.Fuse(logits, t == 0 ? null : motion);
            var ab = mode.Run(fused);
            var single = mode.Run(logits);
            var averaged = mean.Run(logits);
            // Judge the interior, away from where the moving pattern enters the frame.
            for (int i = 6; i < H - 6; i++)
            for (int j = 8; j < W - 8; j++)
            {
                int p = i * W + j;
                if (t < 3) continue;
                double a = ab.Data[p], b = ab.Data[H * W + p];
                bool isGreen = Sq(a - centres.Data[green]) + Sq(b - centres.Data[Q + green]) < Sq(15);
                fusedStayedGreen += isGreen ? 1 : 0;
                double sa = single.Data[p], sb = single.Data[H * W + p];
                perFrameJumped += redWins && Sq(sa - centres.Data[red]) + Sq(sb - centres.Data[Q + red]) < Sq(15) ? 1 : 0;
                double saturation = Math.Sqrt(a * a + b * b);
                worstSaturation = Math.Min(worstSaturation, saturation);
                meanSaturation += saturation;
                if (t == Frames - 1 && p == (H / 2) * W + W / 2)
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"centre pixel, last frame: fused ({a:F1}, {b:F1}); per-frame mode ({sa:F1}, {sb:F1}); per-frame mean ({averaged.Data[p]:F1}, {averaged.Data[H * W + p]:F1}); green ({centres.Data[green]}, {centres.Data[Q + green]})"));
            }
        }
        int judged = (Frames - 3) * (H - 12) * (W - 16);
        meanSaturation /= judged;
        output.WriteLine($"red won {redFrames} of {Frames} frames; per-frame decoding turned red on {perFrameJumped} pixel-frames; fused stayed green on {fusedStayedGreen} of {judged}; "
            + $"fused chroma {meanSaturation:F1} (lowest {worstSaturation:F1}) vs the green bin's {greenSaturation:F1}");
        Assert.InRange(redFrames, 5, 15);
        Assert.True(perFrameJumped > judged / 10, "the synthetic modes must actually jump frame by frame");
        Assert.True(fusedStayedGreen >= 0.9 * judged, $"fused colour left the majority mode on {judged - fusedStayedGreen} of {judged} pixel-frames");
        Assert.True(meanSaturation >= 0.9 * greenSaturation, $"fused chroma {meanSaturation:F1} washed out below 90% of {greenSaturation:F1}");
    }

    /// <summary>Logits of frame t: the winner 5, the runner-up 4 (both with a little noise), every other bin 0 ± 0.3, the pattern moving with the shift.</summary>
    private static Tensor Logits(int t, int winner, int runnerUp, Random rng)
    {
        var z = new Tensor(new Shape(1, Q, H, W));
        for (int i = 0; i < z.Length; i++) z.Data[i] = (float)(rng.NextDouble() - 0.5) * 0.6f;
        for (int p = 0; p < H * W; p++)
        {
            z.Data[winner * H * W + p] = 5f + (float)(rng.NextDouble() - 0.5) * 0.4f;
            z.Data[runnerUp * H * W + p] = 4f + (float)(rng.NextDouble() - 0.5) * 0.4f;
        }
        return z;
    }

    private static Tensor Centres()
    {
        var lines = File.ReadAllLines(TestPaths.SharedData("colorization/pts_in_hull.csv")).Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("a,")).ToArray();
        Assert.Equal(Q, lines.Length);
        var c = new Tensor(new Shape(2, Q));
        for (int q = 0; q < Q; q++)
        {
            var parts = lines[q].Split(',');
            c.Data[q] = float.Parse(parts[0], CultureInfo.InvariantCulture);
            c.Data[Q + q] = float.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        return c;
    }

    private static int Nearest(Tensor centres, float a, float b) =>
        Enumerable.Range(0, Q).MinBy(q => Sq(centres.Data[q] - a) + Sq(centres.Data[Q + q] - b));

    private static double Sq(double x) => x * x;
}
