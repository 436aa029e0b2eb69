using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Holds each pixel's colour mode along the motion, for a per-frame colorizer that jumps between
/// two colours of one object. The state S is the previous held frame warped to this one: its C planes
/// and, last, how many frames in a row each pixel has been held. Where the processed planes P agree
/// with S's, |P − S| ≤ max(<see cref="MinJump"/>, <see cref="Relative"/>·max(|P|, |S|)) (|·| over the
/// C planes), the pixel takes P and its count restarts at 0; where P jumped it keeps S and counts one
/// more frame, until <see cref="Patience"/> frames in a row have jumped: then the change is taken as
/// lasting. Relative 1 is a hue turn of 60° at equal chroma.
/// Where the flow failed (c &lt; ½) S means nothing, and the frame itself decides: its tracked pixels
/// (c ≥ ½) are binned by P's colour (<see cref="Bins"/> bins per plane over ±<see cref="Range"/>), and
/// when at least <see cref="MinTracked"/> of a bin's tracked pixels are there and most of them jumped,
/// the colorizer is showing that colour in its other mode in this frame: the pixel takes P plus the
/// bin's mean jump S − P and counts as held; otherwise it takes P. So a pixel the flow loses (an
/// occlusion, a failed check) does not start in whichever mode the colorizer shows at that moment.
/// The jumps are summed in 1/256 units as 64-bit integers, so the sums do not depend on their order.
/// Activations: P (N, C, H, W), S (N, C + 1, H, W), c (N, 1, H, W) in [0, 1]. Output (N, C + 1, H, W).
/// </summary>
public sealed record ModeHoldOp(float MinJump, float Relative, int Patience, int Bins = 16, float Range = 128f, int MinTracked = 20) : Op
{
    /// <summary>The jumps' fixed point: 1/256 of a unit.</summary>
    public const float JumpScale = 256f;

    /// <inheritdoc/>
    public override int ActivationCount => 3;

    /// <summary>Bins per unit of a plane, Bins / (2·Range), in float: a value v falls in bin ⌊(v + Range)·this⌋ on every backend.</summary>
    public float BinsPerUnit => Bins / (2f * Range);

    /// <summary>The colour bins of C planes: Bins^C.</summary>
    public int BinCount(int channels)
    {
        long n = 1;
        for (int c = 0; c < channels; c++) n *= Bins;
        return (int)n;
    }

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (p, s, c) = (inputs[0], inputs[1], inputs[2]);
        Require(p.Rank == 4 && s.Rank == 4 && s.C == p.C + 1 && s.N == p.N && s.H == p.H && s.W == p.W,
            $"the mode hold needs P (N, C, H, W) and a state (N, C + 1, H, W), got {p} and {s}");
        Require(c.Rank == 4 && c.C == 1 && c.N == p.N && c.H == p.H && c.W == p.W, $"the mode hold needs a (N, 1, H, W) confidence for {p}, got {c}");
        Require(MinJump >= 0 && float.IsFinite(MinJump) && Relative >= 0 && float.IsFinite(Relative) && Patience >= 1,
            $"the mode hold needs a jump ≥ 0, a relative jump ≥ 0 and a patience ≥ 1, got {this}");
        Require(Bins >= 1 && Range > 0 && float.IsFinite(Range) && MinTracked >= 1 && Math.Pow(Bins, p.C) <= 1 << 16,
            $"the mode hold needs ≥ 1 bin per plane, at most 65536 in all, a range > 0 and ≥ 1 tracked pixel per bin, got {this} for {p.C} plane(s)");
        return s;
    }
}
