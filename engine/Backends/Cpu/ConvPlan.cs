using Reel.Engine.Ops;

namespace Reel.Engine.Backends.Cpu;

/// <summary>Chooses the convolution algorithm for an op, once, when it is prepared.</summary>
public static class ConvPlan
{
    /// <summary>Whether <paramref name="path"/> can compute <paramref name="op"/>.</summary>
    public static bool Applicable(ConvPath path, Conv2dOp op) => path switch
    {
        ConvPath.Auto or ConvPath.Im2Col => true,
        ConvPath.ImplicitGemm => op.Stride == 1,
        ConvPath.WinogradF4 or ConvPath.WinogradF2 => FastWinograd.Applicable(op),
        _ => false,
    };

    /// <summary>
    /// Maps of fewer pixels than this train on the GEMM paths: there Winograd's saving on the
    /// products does not pay for transforming the weights, which training does every step. At 16×16
    /// (16 tiles of F(4,3)) the U-Net's 512-channel convs' forward ran 1.6–1.8× slower through
    /// Winograd, their transformed weights (38 MB for 512→512) used by too few tiles, more than ∂x
    /// gained; at 32×32 every conv of the U-Net at 256² gained in all three directions (forward
    /// 1.3–1.4×, ∂x 1.9–2.8×, ∂W 1.5–1.7×; one `reel bench --model unet` run, 2 threads, AVX-512).
    /// It was 64×64 before the weight transform was vectorized and ∂W went through Winograd
    /// (2026-12-06).
    /// </summary>
    public const int MinTrainingPixels = 32 * 32;

    /// <summary>
    /// <paramref name="forced"/> when it applies, otherwise: Winograd F(4,3) for 3×3 stride-1
    /// convs with enough channels on both sides that the GEMMs, not the tile transforms,
    /// dominate; implicit GEMM for the other stride-1 convs; im2col for strided ones.
    /// <para>
    /// <paramref name="trainingPixels"/> is the map's size when the conv is prepared for one run
    /// (a training step): Winograd then only from <see cref="MinTrainingPixels"/> on. It rounds
    /// differently from a direct convolution (F(4,3) ≤ 2e-6 of Σ|w·x|), far below the TF32 that
    /// GPU training uses by default, but enough to flip ReLUs near zero whose small gradients Adam
    /// then scales to full steps (WinogradTrainingTests bounds how far that takes a training).
    /// </para>
    /// </summary>
    public static ConvPath Choose(Conv2dOp op, ConvPath forced = ConvPath.Auto, int? trainingPixels = null)
    {
        if (forced != ConvPath.Auto && Applicable(forced, op)) return forced;
        if (FastWinograd.Applicable(op) && op.InChannels >= 16 && op.OutChannels >= 16 && !(trainingPixels < MinTrainingPixels))
            return ConvPath.WinogradF4;
        return op.Stride == 1 ? ConvPath.ImplicitGemm : ConvPath.Im2Col;
    }
}
