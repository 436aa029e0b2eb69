using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Holds each pixel's colour mode along the motion, for a per-frame colorizer that jumps between
/// two colours of one object. The state S is the previous held frame warped to this one: its C planes
/// and, last, how many frames in a row each pixel has been held. Where the processed planes P agree
/// with S's, |P − S| ≤ max(<see cref="MinJump"/>, <see cref="Relative"/>·max(|P|, |S|)) (|·| over the
/// C planes), or where the flow failed (c &lt; ½), the pixel takes P and its count restarts at 0;
/// where P jumped it keeps S and counts one more frame, until <see cref="Patience"/> frames in a row
/// have jumped: then the change is taken as lasting. Relative 1 is a hue turn of 60° at equal chroma.
/// Activations: P (N, C, H, W), S (N, C + 1, H, W), c (N, 1, H, W) in [0, 1]. Output (N, C + 1, H, W).
/// </summary>
public sealed record ModeHoldOp(float MinJump, float Relative, int Patience) : Op
{
    /// <inheritdoc/>
    public override int ActivationCount => 3;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (p, s, c) = (inputs[0], inputs[1], inputs[2]);
        Require(p.Rank == 4 && s.Rank == 4 && s.C == p.C + 1 && s.N == p.N && s.H == p.H && s.W == p.W,
            $"the mode hold needs P (N, C, H, W) and a state (N, C + 1, H, W), got {p} and {s}");
        Require(c.Rank == 4 && c.C == 1 && c.N == p.N && c.H == p.H && c.W == p.W, $"the mode hold needs a (N, 1, H, W) confidence for {p}, got {c}");
        Require(MinJump >= 0 && float.IsFinite(MinJump) && Relative >= 0 && float.IsFinite(Relative) && Patience >= 1,
            $"the mode hold needs a jump ≥ 0, a relative jump ≥ 0 and a patience ≥ 1, got {this}");
        return s;
    }
}
