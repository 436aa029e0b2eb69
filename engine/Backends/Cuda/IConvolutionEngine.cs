using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Convolutions on device memory: forward, transposed, and the two gradients: <see cref="CudnnConvolutions"/>,
/// over the real cuDNN on a GPU and over Reel.Emulation's emulated cuDNN on the emulated device.
/// </summary>
public interface IConvolutionEngine : IDisposable
{
    /// <summary>What computes the convolutions, for reports: "cuDNN 9.10.2 (Tf32)".</summary>
    string Name { get; }

    /// <summary>The arithmetic of the convolutions.</summary>
    Precision Precision { get; }

    /// <summary>Whether <paramref name="op"/> is one of the convolutions this engine computes.</summary>
    bool Supports(Op op);

    /// <summary>y = op(x) with the op's bias and activation, all (N, C, H, W) float on the device.</summary>
    void Run(Op op, Shape input, DevicePtr x, DevicePtr weight, DevicePtr bias, DevicePtr y, GpuStream? stream = null);

    /// <summary>
    /// Whether <see cref="RunChain"/> runs chains of convolutions as one op, keeping the activations between
    /// layers in a form of its own (bf16: bfloat16 NHWC); where it does not, the backend runs them layer by layer.
    /// </summary>
    bool RunsChains { get; }

    /// <summary>y = the chain's layers one after another on x, all (N, C, H, W) float on the device; <paramref name="parameters"/> in the op's order. Only where <see cref="RunsChains"/>.</summary>
    void RunChain(ConvChainOp op, Shape input, DevicePtr x, IReadOnlyList<DevicePtr> parameters, DevicePtr y, GpuStream? stream = null);

    /// <summary>Training: dx (the forward's input shape <paramref name="input"/>) from dy and the weights, written over.</summary>
    void BackwardData(Conv2dOp op, Shape input, DevicePtr dy, DevicePtr weight, DevicePtr dx, GpuStream? stream = null);

    /// <summary>The algorithm chosen for <paramref name="op"/> on the forward input <paramref name="input"/>, for reports; empty before one is.</summary>
    string Describe(Op op, Shape input);

    /// <summary>Training: dW (Cout, Cin, KH, KW) from the forward's input x and dy, written over.</summary>
    void BackwardFilter(Conv2dOp op, Shape input, DevicePtr x, DevicePtr dy, DevicePtr dw, GpuStream? stream = null);
}
