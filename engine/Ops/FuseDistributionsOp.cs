using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Fuses a colorizer's per-pixel distributions along time (mode-seeking temporal consistency): this
/// frame's distribution sharpened by the annealing temperature, p = softmax(z / <see cref="Temperature"/>)
/// (near one-hot on the frame's winning colour), is mixed with the previous fused distribution F carried
/// along the flow (given as log-probabilities, renormalized): (1 − s)·p + s·F with s = <see cref="Keep"/>·c.
/// The fused distribution thus counts, with fading weights, how often each colour won; the output is its
/// log (floored at 1e-12), ready for <see cref="AnnealedMeanOp"/> at the same temperature, which then picks
/// the colour that won in most frames instead of averaging the modes.
/// Activations: z (N, Q, H, W) logits, previous (N, Q, H, W) log-probabilities, c (N, 1, H, W) in [0, 1].
/// Output (N, Q, H, W) log-probabilities.
/// </summary>
public sealed record FuseDistributionsOp(float Keep, float Temperature = 1f) : Op
{
    /// <summary>The floor under fused probabilities, so their logs stay finite through later warps.</summary>
    public const float Floor = 1e-12f;

    /// <inheritdoc/>
    public override int ActivationCount => 3;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (z, f, c) = (inputs[0], inputs[1], inputs[2]);
        Require(z.Rank == 4 && z.Equals(f), $"fusing distributions needs logits and previous log-probabilities of one shape, got {z} and {f}");
        Require(c.Rank == 4 && c.C == 1 && c.N == z.N && c.H == z.H && c.W == z.W, $"fusing distributions needs a (N, 1, H, W) confidence for {z}, got {c}");
        Require(Keep >= 0 && Keep <= 1, $"the kept share must be in [0, 1], got {Keep}");
        Require(Temperature > 0 && float.IsFinite(Temperature), $"the temperature must be a positive number, got {Temperature}");
        return z;
    }
}
