using Reel.Engine.Tensors;

namespace Reel.Engine.Ops;

/// <summary>An activation fused into the op that precedes it.</summary>
public enum Activation { None, Relu }

/// <summary>
/// One operation, declared once: its parameters and its shape inference. Backends say
/// whether they support it and implement it; the CPU reference backend is the oracle.
/// Inputs are passed as activations followed by parameters, in the order each op documents.
/// </summary>
public abstract record Op
{
    /// <summary>How many leading inputs are activations; the rest are parameters (weights).</summary>
    public virtual int ActivationCount => 1;

    /// <summary>Shapes the parameters must have, in order.</summary>
    public virtual IReadOnlyList<Shape> ParameterShapes => Array.Empty<Shape>();

    /// <summary>The output shape for the given activation shapes, or an exception naming the mismatch.</summary>
    public abstract Shape InferShape(IReadOnlyList<Shape> inputs);

    protected static void Require(bool ok, string what)
    {
        if (!ok) throw new ArgumentException(what);
    }
}

/// <summary>
/// 2-D convolution over NCHW. Inputs: x (N, Cin, H, W); parameters: weight (Cout, Cin, KH, KW),
/// then bias (Cout) when <see cref="HasBias"/>. Zero padding; the activation is fused.
/// </summary>
public sealed record Conv2dOp(
    int InChannels, int OutChannels, int KernelH, int KernelW,
    int Stride = 1, int Padding = 0, int Dilation = 1,
    bool HasBias = true, Activation Activation = Activation.None) : Op
{
    public override IReadOnlyList<Shape> ParameterShapes => HasBias
        ? new[] { new Shape(OutChannels, InChannels, KernelH, KernelW), new Shape(OutChannels) }
        : new[] { new Shape(OutChannels, InChannels, KernelH, KernelW) };

    public int OutputSize(int input, int kernel) => (input + 2 * Padding - Dilation * (kernel - 1) - 1) / Stride + 1;

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

/// <summary>
/// Per-channel affine y = x·scale[c] + shift[c] (inference BatchNorm). Parameters: scale (C), shift (C).
/// </summary>
public sealed record AffineOp(int Channels, Activation Activation = Activation.None) : Op
{
    public override IReadOnlyList<Shape> ParameterShapes => new[] { new Shape(Channels), new Shape(Channels) };

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C == Channels, $"affine expects {Channels} channels in NCHW, got {x}");
        return x;
    }
}

/// <summary>y = max(x, 0).</summary>
public sealed record ReluOp : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs) => inputs[0];
}

/// <summary>y = a − b, same shapes (the residual step of DnCNN).</summary>
public sealed record SubtractOp : Op
{
    public override int ActivationCount => 2;

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(inputs[0].Equals(inputs[1]), $"subtract needs equal shapes, got {inputs[0]} and {inputs[1]}");
        return inputs[0];
    }
}

/// <summary>y = min(max(x, Min), Max).</summary>
public sealed record ClampOp(float Min, float Max) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        Require(Min <= Max, $"clamp range [{Min}, {Max}] is empty");
        return inputs[0];
    }
}

/// <summary>
/// Transposed 2-D convolution (PyTorch ConvTranspose2d, no output padding, dilation 1).
/// Inputs: x (N, Cin, H, W); parameters: weight (Cin, Cout, K, K), then bias (Cout) when
/// <see cref="HasBias"/>. Output size (H − 1)·stride − 2·padding + K.
/// </summary>
public sealed record ConvTranspose2dOp(
    int InChannels, int OutChannels, int Kernel, int Stride = 1, int Padding = 0,
    bool HasBias = true, Activation Activation = Activation.None) : Op
{
    public override IReadOnlyList<Shape> ParameterShapes => HasBias
        ? new[] { new Shape(InChannels, OutChannels, Kernel, Kernel), new Shape(OutChannels) }
        : new[] { new Shape(InChannels, OutChannels, Kernel, Kernel) };

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

/// <summary>
/// Bilinear resize of every plane to (<see cref="OutH"/>, <see cref="OutW"/>), PyTorch's
/// interpolate(mode='bilinear') without antialiasing, with either align_corners convention.
/// </summary>
public sealed record ResizeBilinearOp(int OutH, int OutW, bool AlignCorners = false) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H > 0 && x.W > 0, $"resize expects a non-empty NCHW input, got {x}");
        Require(OutH > 0 && OutW > 0, $"resize target {OutH}×{OutW} is empty");
        return new Shape(x.N, x.C, OutH, OutW);
    }
}

/// <summary>
/// The annealed mean of the ECCV16 colorizer: per pixel, p = softmax(z / T) over the Q logits,
/// then ab = Σ_q p_q · centre_q. Inputs: logits (N, Q, H, W); parameter: centres (2, Q).
/// Output (N, 2, H, W). T = 1 is the plain expectation; T → 0 approaches the mode.
/// </summary>
public sealed record AnnealedMeanOp(int Bins, float Temperature) : Op
{
    public override IReadOnlyList<Shape> ParameterShapes => new[] { new Shape(2, Bins) };

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.C == Bins, $"annealed mean expects {Bins} logits per pixel in NCHW, got {x}");
        Require(Temperature > 0 && float.IsFinite(Temperature), $"temperature must be a positive number, got {Temperature}");
        return new Shape(x.N, 2, x.H, x.W);
    }
}

/// <summary>Max pooling with a square window, no padding (PyTorch MaxPool2d(k, stride)); ties go to the first in row-major order.</summary>
public sealed record MaxPool2dOp(int Kernel = 2, int Stride = 2) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && x.H >= Kernel && x.W >= Kernel, $"max-pool {Kernel}×{Kernel} needs an NCHW input at least that large, got {x}");
        Require(Kernel >= 1 && Stride >= 1, "max-pool kernel and stride must be ≥ 1");
        return new Shape(x.N, x.C, (x.H - Kernel) / Stride + 1, (x.W - Kernel) / Stride + 1);
    }
}

/// <summary>Channel concatenation of two NCHW tensors of equal N, H, W: first a's channels, then b's.</summary>
public sealed record ConcatOp : Op
{
    public override int ActivationCount => 2;

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (a, b) = (inputs[0], inputs[1]);
        Require(a.Rank == 4 && b.Rank == 4 && a.N == b.N && a.H == b.H && a.W == b.W,
            $"concat needs equal N, H, W, got {a} and {b}");
        return new Shape(a.N, a.C + b.C, a.H, a.W);
    }
}

/// <summary>
/// y = a + b[:, Offset : Offset + a.C]: a sum of two NCHW tensors of equal N, H, W, where b may
/// have more channels and is read from channel <see cref="SecondChannelOffset"/> on (a gradient
/// accumulated from a run of another's channels, as a concat's skip half, without a copy).
/// </summary>
public sealed record AddOp(int SecondChannelOffset = 0) : Op
{
    public override int ActivationCount => 2;

    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var (a, b) = (inputs[0], inputs[1]);
        Require(a.Rank == 4 && b.Rank == 4 && a.N == b.N && a.H == b.H && a.W == b.W,
            $"add needs NCHW tensors of equal N, H, W, got {a} and {b}");
        Require(SecondChannelOffset >= 0 && SecondChannelOffset + a.C <= b.C,
            $"add reads channels {SecondChannelOffset}…{SecondChannelOffset + a.C - 1} of {b}, which has {b.C}");
        return a;
    }
}

/// <summary>
/// Channels [<see cref="Start"/>, Start + <see cref="Count"/>) of an NCHW tensor: how a channel
/// concat's gradient splits into its inputs' gradients. A backend may run it as a view of the
/// input's memory (no copy) where the channels are contiguous there (see <see cref="Backends.IPreparedOp.Run"/>).
/// </summary>
public sealed record SliceChannelsOp(int Start, int Count) : Op
{
    public override Shape InferShape(IReadOnlyList<Shape> inputs)
    {
        var x = inputs[0];
        Require(x.Rank == 4 && Start >= 0 && Count >= 1 && Start + Count <= x.C,
            $"channels {Start}…{Start + Count - 1} are not inside {x}");
        return new Shape(x.N, Count, x.H, x.W);
    }
}
