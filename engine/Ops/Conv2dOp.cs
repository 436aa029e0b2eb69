using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>
/// 2-D convolution over NCHW. Inputs: x (N, Cin, H, W); parameters: weight (Cout, Cin, KH, KW),
/// then bias (Cout) when <see cref="HasBias"/>. Zero padding; the activation is fused.
/// </summary>
public sealed record Conv2dOp(
    int InChannels, int OutChannels, int KernelH, int KernelW,
    int Stride = 1, int Padding = 0, int Dilation = 1,
    bool HasBias = true, Activation Activation = Activation.None) : Op
{
    /// <inheritdoc/>
    public override IReadOnlyList<Shape> ParameterShapes => HasBias
        ? new[] { new Shape(OutChannels, InChannels, KernelH, KernelW), new Shape(OutChannels) }
        : new[] { new Shape(OutChannels, InChannels, KernelH, KernelW) };

    /// <summary>The output length along one axis of length <paramref name="input"/> for a kernel of <paramref name="kernel"/> taps (PyTorch's formula).</summary>
    public int OutputSize(int input, int kernel) => (input + 2 * Padding - Dilation * (kernel - 1) - 1) / Stride + 1;

    /// <inheritdoc/>
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4, $"conv2d expects NCHW input, got {x}");
        Require(x.C == InChannels, $"conv2d expects {InChannels} input channels, got {x.C}");
        Require(Stride >= 1 && Dilation >= 1 && Padding >= 0, "conv2d stride and dilation must be ≥ 1 and padding ≥ 0");
        int ho = OutputSize(x.H, KernelH), wo = OutputSize(x.W, KernelW);
        Require(x.H + 2 * Padding >= Dilation * (KernelH - 1) + 1 && x.W + 2 * Padding >= Dilation * (KernelW - 1) + 1,
            $"conv2d kernel {KernelH}×{KernelW} (dilation {Dilation}) is larger than the padded input {x}");
        return new Shape(x.N, OutChannels, ho, wo);
    }
}
