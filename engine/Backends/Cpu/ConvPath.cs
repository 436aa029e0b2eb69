namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The algorithms the fast CPU backend runs a 2-D convolution with. The plan picks one per op
/// (<see cref="ConvPlan.Choose"/>); tests and benchmarks force each in turn.
/// </summary>
public enum ConvPath
{
    /// <summary>Let the plan choose.</summary>
    Auto,
    /// <summary>Stride 1: GEMM reading shifted views of a zero-padded copy of the input (no im2col buffer).</summary>
    ImplicitGemm,
    /// <summary>Any stride or dilation: GEMM over im2col chunks packed per thread.</summary>
    Im2Col,
    /// <summary>3×3 stride 1 (any dilation, by polyphase): Winograd F(4×4, 3×3), 4× fewer multiplies; for inference.</summary>
    WinogradF4,
    /// <summary>3×3 stride 1 (any dilation): Winograd F(2×2, 3×3), 2.25× fewer multiplies, as accurate as the GEMM paths; forced only (see <see cref="ConvPlan.Choose"/>).</summary>
    WinogradF2,
}
