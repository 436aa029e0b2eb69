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
    /// <paramref name="forced"/> when it applies, otherwise: Winograd F(4,3) for 3×3 stride-1
    /// convs with enough channels on both sides that the GEMMs, not the tile transforms,
    /// dominate, unless <paramref name="precise"/>; implicit GEMM for the other stride-1 convs;
    /// im2col for strided ones.
    /// <para>
    /// Precise (training) keeps to the GEMM paths, whose summation order is that of PyTorch's
    /// direct convolution: the 5-Adam-step parity test against PyTorch fails with either Winograd
    /// (F(4,3) and F(2,3) alike, although F(2,3) is closer to the exact result than the GEMM),
    /// because a different rounding flips ReLUs near zero and Adam divides the small gradients
    /// that come out of them by their own size.
    /// </para>
    /// </summary>
    public static ConvPath Choose(Conv2dOp op, ConvPath forced = ConvPath.Auto, bool precise = false)
    {
        if (forced != ConvPath.Auto && Applicable(forced, op)) return forced;
        if (!precise && FastWinograd.Applicable(op) && op.InChannels >= 16 && op.OutChannels >= 16)
            return ConvPath.WinogradF4;
        return op.Stride == 1 ? ConvPath.ImplicitGemm : ConvPath.Im2Col;
    }
}
