using Reel.Engine.Backends;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Emulation;

/// <summary>
/// Convolutions for the emulated device, computed by a CPU backend on the emulator's memory
/// (which is host memory) in stream order. It stands where cuDNN stands so the GPU pipeline's
/// orchestration — buffers, tiles, graphs, streams, training — runs in tests; it says nothing about cuDNN.
/// </summary>
// SAFETY: the emulator's device pointers are host addresses of buffers sized for the op's shapes by the backend
// that passes them; each read or write covers exactly one such shape.
public sealed unsafe class HostConvolutions(EmulatedDevice device, IBackend cpu) : IConvolutionEngine
{
    /// <inheritdoc/>
    public string Name => $"host convolutions ({cpu.Name})";
    /// <inheritdoc/>
    public Precision Precision => Precision.Fp32;

    /// <inheritdoc/>
    public bool Supports(Op op) => op is Conv2dOp or ConvTranspose2dOp or Conv2dBackwardDataOp or Conv2dBackwardWeightOp;

    /// <inheritdoc/>
    public void Prepare(Op op, Shape input) => Prepared++;

    /// <summary>How many times a plan was asked for ahead of capture.</summary>
    public int Prepared { get; private set; }

    /// <inheritdoc/>
    public void Run(Op op, Shape input, DevicePtr x, DevicePtr weight, DevicePtr bias, DevicePtr y, GpuStream? stream = null) =>
        Compute(stream, op, op.ParameterShapes.Select((s, i) => (i == 0 ? weight : bias, s)).ToArray(), (x, input), y);

    /// <inheritdoc/>
    public void BackwardData(Conv2dOp op, Shape input, DevicePtr dy, DevicePtr weight, DevicePtr dx, GpuStream? stream = null) =>
        Compute(stream, new Conv2dBackwardDataOp(op, input.H, input.W), new[] { (weight, op.ParameterShapes[0]) }, (dy, op.InferShape(new[] { input })), dx);

    /// <inheritdoc/>
    public void BackwardFilter(Conv2dOp op, Shape input, DevicePtr x, DevicePtr dy, DevicePtr dw, GpuStream? stream = null) =>
        Compute(stream, new Conv2dBackwardWeightOp(op), Array.Empty<(DevicePtr, Shape)>(), (x, input), dw, (dy, op.InferShape(new[] { input })));

    /// <summary>Runs <paramref name="op"/> on the CPU over the emulator's memory, in <paramref name="stream"/>'s order.</summary>
    private void Compute(GpuStream? stream, Op op, (DevicePtr Ptr, Shape Shape)[] parameters, (DevicePtr Ptr, Shape Shape) first, DevicePtr y,
        params (DevicePtr Ptr, Shape Shape)[] more)
    {
        var reads = parameters.Select(p => p.Ptr).Append(first.Ptr).Concat(more.Select(m => m.Ptr)).ToArray();
        device.EnqueueHost(() =>
        {
            var activations = new[] { first }.Concat(more).Select(a => Read(a.Ptr, a.Shape)).ToArray();
            using var prepared = cpu.Prepare(op, parameters.Select(p => Read(p.Ptr, p.Shape)).ToArray());
            var result = prepared.Run(activations);
            // SAFETY: y was allocated for the op's output shape, which is result's.
            result.Span.CopyTo(new Span<float>((void*)y.Address, result.Length));
        }, stream, reads, new[] { y });
    }

    // SAFETY: p points at a buffer of shape s (its caller passes each pointer with its own shape).
    private static Tensor Read(DevicePtr p, Shape s) => new(s, new ReadOnlySpan<float>((void*)p.Address, (int)s.ElementCount).ToArray());

    /// <summary>Nothing to free: the CPU backend's prepared ops are disposed after each call.</summary>
    public void Dispose() { }
}
