using Reel.Engine.Backends.Cuda.Native;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// The CUDA backend at op level (IBackend): weights are uploaded once at Prepare, each run
/// uploads its activations, runs the kernels (and cuDNN for convolutions and pooling) and
/// downloads the result. This is the path `reel infer --device cuda` and the backend-ops
/// tests use; whole frames stay on the device in <see cref="DnCnnGpuPipeline"/>.
/// Without a convolution engine (the emulator) convolutions are declared unsupported.
/// </summary>
public sealed class CudaBackend : IBackend, IDisposable
{
    private readonly IConvolutionEngine? _convolutions;

    public CudaBackend(IGpuDevice device, IConvolutionEngine? convolutions)
    {
        Device = device;
        Kernels = new CudaKernels(device);
        FlowKernels = new CudaFlowKernels(device);
        _convolutions = convolutions;
    }

    /// <summary>The GPU if one is usable here, with cuDNN when installed; otherwise the one-line reason.</summary>
    public static CudaBackend? TryCreate(out string reason)
    {
        if (!DriverDevice.Probe(out reason)) return null;
        if (!NvrtcCompiler.IsAvailable(out reason)) return null;
        if (!NativeLibraries.TryLoad(NativeLibraries.Cudnn, out _, out var cudnnError))
        {
            reason = $"cuDNN is not installed ({cudnnError}); install cuDNN 8 or 9 for CUDA 12";
            return null;
        }
        DriverDevice? device = null;
        try
        {
            device = DriverDevice.Open();
            return new CudaBackend(device, new CudnnConvolutions(device));
        }
        catch (Exception e) when (e is ReelException or DllNotFoundException or EntryPointNotFoundException)
        {
            device?.Dispose();
            reason = e.Message;
            return null;
        }
    }

    public IGpuDevice Device { get; }
    public CudaKernels Kernels { get; }
    public CudaFlowKernels FlowKernels { get; }
    public string Name => Device.ComputeCapability == 0 ? "cuda-emulated" : "cuda";

    public bool Supports(Op op) => op switch
    {
        Conv2dOp or ConvTranspose2dOp => _convolutions?.Supports(op) == true,
        AnnealedMeanOp m => m.Bins <= CudaKernels.MaxBins,
        AffineOp or ReluOp or SubtractOp or ClampOp or ResizeBilinearOp or MaxPool2dOp or ConcatOp => true,
        OpticalFlowOp or WarpOp or FlowCheckOp or ScreenedPoissonOp or FuseDistributionsOp => true,
        _ => false,
    };

    public IPreparedOp Prepare(Op op, params Tensor[] parameters)
    {
        if (!Supports(op)) throw new NotSupportedException($"{op.GetType().Name} on {Name}");
        BackendExtensions.CheckParameters(op, parameters);
        return new Prepared(this, op, parameters.Select(Upload).ToArray());
    }

    public void Dispose()
    {
        _convolutions?.Dispose();
        Device.Dispose();
    }

    internal unsafe DeviceBuffer Upload(Tensor t)
    {
        var buffer = Device.Allocate((long)t.Length * sizeof(float));
        fixed (float* p = t.Data) Device.CopyToDevice(buffer.Ptr, p, buffer.Bytes);
        return buffer;
    }

    private sealed class Prepared(CudaBackend backend, Op op, DeviceBuffer[] parameters) : IPreparedOp
    {
        public Op Op { get; } = op;

        public unsafe void RunInto(Tensor output, params Tensor[] activations)
        {
            BackendExtensions.CheckOutput(Op, output, activations);
            var inputs = activations.Select(backend.Upload).ToArray();
            using var y = backend.Device.Allocate((long)output.Length * sizeof(float));
            try
            {
                Launch(inputs.Select(b => b.Ptr).ToArray(), activations.Select(a => a.Shape).ToArray(), y.Ptr, output.Shape);
                fixed (float* p = output.Data) backend.Device.CopyToHost(p, y.Ptr, y.Bytes);
                backend.Device.Synchronize();
            }
            finally
            {
                foreach (var b in inputs) b.Dispose();
            }
        }

        /// <summary>Cpu.ScreenedPoisson's sweeps per frame on the device, scratch freed on return.</summary>
        private void ScreenedPoisson(ScreenedPoissonOp op, DevicePtr[] x, DevicePtr y, Shape o)
        {
            var k = backend.FlowKernels;
            long n = (long)o.H * o.W, padded = (long)(o.H + 2) * (o.W + 2);
            using var diagonal = backend.Device.Allocate(n * sizeof(float));
            using var rhs = backend.Device.Allocate(o.C * n * sizeof(float));
            using var d = backend.Device.Allocate(o.C * padded * sizeof(float));
            for (int f = 0; f < o.N; f++)
            {
                var (p, t, c, of) = (Offset(x[0], f * o.C * n), Offset(x[1], f * o.C * n), Offset(x[2], f * n), Offset(y, f * o.C * n));
                k.PoissonSetup(p, t, c, diagonal.Ptr, rhs.Ptr, o.C, o.H, o.W, op.Lambda, op.Blend, op.Robust);
                backend.Device.Fill(d.Ptr, 0, d.Bytes);
                for (int it = 0; it < op.Iterations; it++)
                {
                    k.PoissonSor(diagonal.Ptr, rhs.Ptr, d.Ptr, o.C, o.H, o.W, red: true);
                    k.PoissonSor(diagonal.Ptr, rhs.Ptr, d.Ptr, o.C, o.H, o.W, red: false);
                }
                k.PoissonFinish(p, d.Ptr, of, o.C, o.H, o.W);
            }
        }

        private static DevicePtr Offset(DevicePtr p, long floats) => new(p.Address + (ulong)(floats * sizeof(float)));

        private void Launch(DevicePtr[] x, Shape[] s, DevicePtr y, Shape o)
        {
            var k = backend.Kernels;
            var p = parameters.Select(b => b.Ptr).ToArray();
            switch (Op)
            {
                case Conv2dOp c:
                    backend._convolutions!.Run(c, s[0], x[0], p[0], c.HasBias ? p[1] : DevicePtr.Null, y);
                    break;
                case ConvTranspose2dOp t:
                    backend._convolutions!.Run(t, s[0], x[0], p[0], t.HasBias ? p[1] : DevicePtr.Null, y);
                    break;
                case AffineOp a:
                    k.AffineActivation(x[0], y, p[0], p[1], a.Channels, o.H * o.W, o.ElementCount, a.Activation == Activation.Relu);
                    break;
                case ReluOp:
                    k.AffineActivation(x[0], y, DevicePtr.Null, DevicePtr.Null, o.C, o.H * o.W, o.ElementCount, relu: true);
                    break;
                case SubtractOp:
                    k.Subtract(x[0], x[1], y, o.ElementCount);
                    break;
                case ClampOp cl:
                    k.Clamp(x[0], y, o.ElementCount, cl.Min, cl.Max);
                    break;
                case ResizeBilinearOp r:
                    k.ResizeBilinear(x[0], y, s[0].N * s[0].C, s[0].H, s[0].W, r.OutH, r.OutW, r.AlignCorners);
                    break;
                case AnnealedMeanOp m:
                    k.AnnealedMean(x[0], p[0], y, o.N, m.Bins, o.H * o.W, m.Temperature);
                    break;
                case MaxPool2dOp mp:
                    k.MaxPool(x[0], y, s[0].N * s[0].C, s[0].H, s[0].W, o.H, o.W, mp.Kernel, mp.Stride);
                    break;
                case ConcatOp:
                    k.ConcatChannels(x[0], x[1], y, o.N, s[0].C, s[1].C, o.H * o.W);
                    break;
                case OpticalFlowOp f:
                    var dis = new CudaDisFlow(backend.FlowKernels, f);
                    for (int n = 0; n < o.N; n++)
                        dis.Compute(Offset(x[0], (long)n * o.H * o.W), Offset(x[1], (long)n * o.H * o.W), Offset(y, 2L * n * o.H * o.W), o.W, o.H);
                    break;
                case WarpOp:
                    backend.FlowKernels.Warp(x[0], x[1], y, o.N, o.C, o.H, o.W);
                    break;
                case FlowCheckOp:
                    backend.FlowKernels.FlowCheck(x[0], x[1], y, o.N, o.H, o.W);
                    break;
                case ScreenedPoissonOp sp:
                    ScreenedPoisson(sp, x, y, o);
                    break;
                case FuseDistributionsOp fd:
                    backend.FlowKernels.FuseDistributions(x[0], x[1], x[2], y, o.N, o.C, o.H * o.W, fd.Keep, fd.Temperature);
                    break;
                default:
                    throw new NotSupportedException($"{Op.GetType().Name} on {backend.Name}");
            }
        }
    }
}
