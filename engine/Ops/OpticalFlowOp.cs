using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Dense optical flow by DIS (Kroeger, Timofte, Dai, Van Gool, ECCV 2016) as OpenCV's
/// DISOpticalFlow computes it: an 8-bit Gaussian-free area pyramid, 8×8 patches on a grid of
/// <see cref="PatchStride"/> searched by inverse-compositional gradient descent with
/// mean-normalized SSD and spatial propagation (forward then backward, in 8 horizontal stripes),
/// densified by weighted averaging, then refined variationally (brightness and gradient constancy,
/// smoothness; red-black SOR) at every scale from the coarsest down to <see cref="FinestScale"/>.
/// Activations: from (N, 1, H, W) and to (N, 1, H, W), gray in [0, 1] (quantized to 8 bits, as
/// OpenCV takes them). Output (N, 2, H, W): x and y displacement in pixels such that
/// from(p) ≈ to(p + flow(p)).
/// </summary>
public sealed record OpticalFlowOp(int FinestScale = 1, int PatchStride = 3, int GradientIterations = 25, int RefinementIterations = 5) : Op
{
    /// <summary>Side of the square patches (OpenCV's presets all use 8; the SIMD and CUDA paths rely on it).</summary>
    public const int PatchSize = 8;

    /// <summary>OpenCV's DISOPTICAL_FLOW_PRESET_MEDIUM, which bench/temporal_score.py uses.</summary>
    public static readonly OpticalFlowOp Medium = new();

    /// <summary>OpenCV's DISOPTICAL_FLOW_PRESET_FAST: quarter resolution, fewer iterations.</summary>
    public static readonly OpticalFlowOp Fast = new(FinestScale: 2, PatchStride: 4, GradientIterations: 16);

    /// <inheritdoc/>
    public override int ActivationCount => 2;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (a, b) = (inputs[0], inputs[1]);
        Require(a.Rank == 4 && a.C == 1 && a.Equals(b), $"optical flow needs two gray frames of one shape (N, 1, H, W), got {a} and {b}");
        Require(FinestScale >= 0 && PatchStride >= 1 && PatchStride <= PatchSize && GradientIterations >= 2 && RefinementIterations >= 0,
            $"optical flow settings out of range: {this}");
        int smallest = PatchSize << FinestScale;
        Require(a.H >= smallest && a.W >= smallest, $"optical flow at finest scale {FinestScale} needs frames at least {smallest}×{smallest}, got {a.W}×{a.H}");
        return new Shape(a.N, 2, a.H, a.W);
    }

    /// <summary>The coarsest pyramid level OpenCV starts from for a W×H frame (never finer than the finest).</summary>
    public int CoarsestScale(int width, int height) =>
        Math.Max(FinestScale, Math.Min((int)(Math.Log(Math.Max(width, height) / (4.0 * PatchSize)) / Math.Log(2.0) + 0.5),
            (int)(Math.Log(Math.Min(width, height) / PatchSize) / Math.Log(2.0))));
}
