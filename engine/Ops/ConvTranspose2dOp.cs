using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// Transposed 2-D convolution (PyTorch ConvTranspose2d, no output padding, dilation 1).
/// Inputs: x (N, Cin, H, W); parameters: weight (Cin, Cout, K, K), then bias (Cout) when
/// <see cref="HasBias"/>. Output size (H − 1)·stride − 2·padding + K.
/// </summary>
public sealed record ConvTranspose2dOp(
    int InChannels, int OutChannels, int Kernel, int Stride = 1, int Padding = 0,
    bool HasBias = true, Activation Activation = Activation.None) : Op
{
    /// <inheritdoc/>
    public override IReadOnlyList<Shape> ParameterShapes => HasBias
        ? new[] { new Shape(InChannels, OutChannels, Kernel, Kernel), new Shape(OutChannels) }
        : new[] { new Shape(InChannels, OutChannels, Kernel, Kernel) };

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C == InChannels, $"conv-transpose expects {InChannels} input channels in NCHW, got {x}");
        Require(Stride >= 1 && Padding >= 0 && Kernel >= 1, "conv-transpose needs stride ≥ 1, kernel ≥ 1, padding ≥ 0");
        int ho = (x.H - 1) * Stride - 2 * Padding + Kernel, wo = (x.W - 1) * Stride - 2 * Padding + Kernel;
        Require(ho > 0 && wo > 0, $"conv-transpose output would be empty for input {x}");
        return new Shape(x.N, OutChannels, ho, wo);
    }
}
