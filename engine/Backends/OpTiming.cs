using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>
/// One op call seen by a <see cref="ProfilingBackend"/>: the op, its first input's shape, its time
/// (the device's when <see cref="OnDevice"/>, else the host's), and the bytes it must move at least
/// (its activations read and its output written once: a memory-bound op's GB/s).
/// </summary>
public readonly record struct OpTiming(Op Op, Shape Input, double Ms, long Bytes, bool OnDevice = false)
{
    /// <summary>Multiply-adds × 2 of the convolutions and their gradients (0 for other ops), for GFLOP/s.</summary>
    public double Flops => Op switch
    {
        Conv2dOp c => ConvFlops(c, Input),
        // ∂W reads the forward's input (first), ∂x its output's gradient: either way the forward's work.
        Conv2dBackwardWeightOp w => ConvFlops(w.Forward, Input),
        Conv2dBackwardDataOp d => ConvFlops(d.Forward, new Shape(Input.N, d.Forward.InChannels, d.InputH, d.InputW)),
        ConvTranspose2dOp t => 2.0 * Input.N * t.InChannels * Input.H * Input.W * t.OutChannels * t.Kernel * t.Kernel,
        _ => 0,
    };

    private static double ConvFlops(Conv2dOp c, Shape x) =>
        2.0 * x.N * c.OutChannels * c.OutputSize(x.H, c.KernelH) * c.OutputSize(x.W, c.KernelW) * c.InChannels * c.KernelH * c.KernelW;
}
