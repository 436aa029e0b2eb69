using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda.Emulation;

/// <summary>
/// Convolutions for the emulated device, computed by a CPU backend on the emulator's memory
/// (which is host memory) in stream order. It stands where cuDNN stands so the GPU pipeline's
/// orchestration — buffers, tiles, graphs, streams — runs in tests; it says nothing about cuDNN.
/// </summary>
public sealed unsafe class HostConvolutions(EmulatedDevice device, IBackend cpu) : IConvolutionEngine
{
    public string Name => $"host convolutions ({cpu.Name})";
    public int Calls { get; private set; }

    public bool Supports(Op op) => op is Conv2dOp or ConvTranspose2dOp or MaxPool2dOp;

    public void Prepare(Op op, Shape input) => Prepared++;

    /// <summary>How many times a plan was asked for ahead of capture.</summary>
    public int Prepared { get; private set; }

    public void Run(Op op, Shape input, DevicePtr x, DevicePtr weight, DevicePtr bias, DevicePtr y, GpuStream? stream = null)
    {
        var output = op.InferShape(new[] { input });
        device.EnqueueHost(() =>
        {
            Calls++;
            var parameters = op.ParameterShapes.Select((s, i) => Read(i == 0 ? weight : bias, s)).ToArray();
            var result = cpu.Prepare(op, parameters).Run(Read(x, input));
            result.Span.CopyTo(new Span<float>((void*)y.Address, result.Length));
        });
    }

    private static Tensor Read(DevicePtr p, Shape s) => new(s, new ReadOnlySpan<float>((void*)p.Address, (int)s.ElementCount).ToArray());

    public void Dispose() { }
}
