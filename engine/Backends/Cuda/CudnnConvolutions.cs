using Reel.Engine.Backends.Cuda.Native;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// cuDNN convolutions, transposed convolutions and max pooling on NCHW float, with plans
/// (descriptors, algorithm, workspace) chosen once per (op, input shape) and cached.
/// Conv2d: cudnnConvolutionForward (or BiasActivationForward when the chosen algorithm allows)
/// + the epilogue kernel for bias/ReLU. ConvTranspose2d: cudnnConvolutionBackwardData, whose
/// filter layout (Cin, Cout, K, K) is PyTorch's ConvTranspose2d weight as stored. Math mode
/// TENSOR_OP allows TF32 on Ampere/Hopper for fp32 (set REEL_CUDNN_FP32=1 to forbid it).
/// Written against the documented API; never run here (no GPU).
/// </summary>
public sealed unsafe class CudnnConvolutions : IConvolutionEngine
{
    private readonly DriverDevice _device;
    private readonly CudaKernels _kernels;
    private readonly NativeHandle _handle;
    private readonly PlanCache<ConvolutionKey, Plan> _plans = new();
    private readonly PlanCache<ConvolutionKey, BackwardPlan> _backward = new();
    private readonly long _workspaceBudgetBytes;
    private DeviceBuffer? _workspace;

    private sealed record Plan(ConvolutionPlan Choice, NativeHandle X, NativeHandle W, NativeHandle Conv, NativeHandle Y,
        NativeHandle? Bias, NativeHandle? Activation, NativeHandle? Pooling) : IDisposable
    {
        public void Dispose()
        {
            foreach (var h in new[] { X, W, Conv, Y, Bias, Activation, Pooling }) h?.Dispose();
        }
    }

    public CudnnConvolutions(DriverDevice device, long workspaceBudgetBytes = 512L << 20)
    {
        if (!NativeLibraries.TryLoad(NativeLibraries.Cudnn, out _, out var error))
            throw new ReelException($"cuDNN is not installed: {error}");
        _device = device;
        _kernels = new CudaKernels(device);
        _workspaceBudgetBytes = workspaceBudgetBytes;
        Cudnn.Check(Cudnn.cudnnCreate(out var h));
        _handle = new NativeHandle(h, Cudnn.cudnnDestroy, "cudnnHandle");
        Version = (long)Cudnn.cudnnGetVersion();
    }

    public string Name => $"cuDNN {Version / 10000 % 100}.{Version / 100 % 100}.{Version % 100}";
    public long Version { get; }
    public int PlanMisses => _plans.Misses;

    public bool Supports(Op op) => op is Conv2dOp or ConvTranspose2dOp or MaxPool2dOp;

    public void Prepare(Op op, Shape input)
    {
        var plan = _plans.GetOrCreate(new ConvolutionKey(op, input, false), k => CreatePlan(k.Op, k.Input));
        Workspace(plan.Choice.WorkspaceBytes);
    }

    public void Run(Op op, Shape input, DevicePtr x, DevicePtr weight, DevicePtr bias, DevicePtr y, GpuStream? stream = null)
    {
        var plan = _plans.GetOrCreate(new ConvolutionKey(op, input, false), k => CreatePlan(k.Op, k.Input));
        Cudnn.Check(Cudnn.cudnnSetStream(_handle.Value, stream?.Handle ?? 0));
        var output = op.InferShape(new[] { input });
        var workspace = Workspace(plan.Choice.WorkspaceBytes);
        float one = 1, zero = 0;
        switch (op)
        {
            case Conv2dOp c when plan.Choice.FusedBiasActivation:
                Cudnn.Check(Cudnn.cudnnConvolutionBiasActivationForward(_handle.Value, &one, plan.X.Value, x.Address, plan.W.Value, weight.Address,
                    plan.Conv.Value, plan.Choice.Algorithm, workspace.Address, (nuint)plan.Choice.WorkspaceBytes, &zero, plan.Y.Value, y.Address,
                    plan.Bias!.Value, bias.Address, plan.Activation!.Value, plan.Y.Value, y.Address));
                break;
            case Conv2dOp c:
                Cudnn.Check(Cudnn.cudnnConvolutionForward(_handle.Value, &one, plan.X.Value, x.Address, plan.W.Value, weight.Address, plan.Conv.Value,
                    plan.Choice.Algorithm, workspace.Address, (nuint)plan.Choice.WorkspaceBytes, &zero, plan.Y.Value, y.Address));
                Epilogue(c.HasBias ? bias : DevicePtr.Null, c.Activation, output, y, stream);
                break;
            case ConvTranspose2dOp t:
                Cudnn.Check(Cudnn.cudnnConvolutionBackwardData(_handle.Value, &one, plan.W.Value, weight.Address, plan.X.Value, x.Address, plan.Conv.Value,
                    plan.Choice.Algorithm, workspace.Address, (nuint)plan.Choice.WorkspaceBytes, &zero, plan.Y.Value, y.Address));
                Epilogue(t.HasBias ? bias : DevicePtr.Null, t.Activation, output, y, stream);
                break;
            case MaxPool2dOp:
                Cudnn.Check(Cudnn.cudnnPoolingForward(_handle.Value, plan.Pooling!.Value, &one, plan.X.Value, x.Address, &zero, plan.Y.Value, y.Address));
                break;
            default:
                throw new NotSupportedException($"{op.GetType().Name} on {Name}");
        }
    }

    /// <summary>
    /// Training: given dy (the gradient of op's output), writes dx (skipped when null), dw and, for
    /// a conv with bias, db, all overwritten (β = 0). Algorithms are chosen once per (op, input)
    /// like the forward plan. For the U-Net's backward pass on the GPU; no trainer calls it yet.
    /// </summary>
    public void ConvolutionBackward(Conv2dOp op, Shape input, DevicePtr x, DevicePtr weight, DevicePtr dy, DevicePtr dx, DevicePtr dw, DevicePtr db,
        GpuStream? stream = null)
    {
        var plan = _plans.GetOrCreate(new ConvolutionKey(op, input, false), k => CreatePlan(k.Op, k.Input));
        var backward = _backward.GetOrCreate(new ConvolutionKey(op, input, false), _ => ChooseBackward(plan));
        Cudnn.Check(Cudnn.cudnnSetStream(_handle.Value, stream?.Handle ?? 0));
        float one = 1, zero = 0;
        if (!dx.IsNull)
        {
            var ws = Workspace(backward.Data.WorkspaceBytes);
            Cudnn.Check(Cudnn.cudnnConvolutionBackwardData(_handle.Value, &one, plan.W.Value, weight.Address, plan.Y.Value, dy.Address, plan.Conv.Value,
                backward.Data.Algorithm, ws.Address, (nuint)backward.Data.WorkspaceBytes, &zero, plan.X.Value, dx.Address));
        }
        var wsf = Workspace(backward.Filter.WorkspaceBytes);
        Cudnn.Check(Cudnn.cudnnConvolutionBackwardFilter(_handle.Value, &one, plan.X.Value, x.Address, plan.Y.Value, dy.Address, plan.Conv.Value,
            backward.Filter.Algorithm, wsf.Address, (nuint)backward.Filter.WorkspaceBytes, &zero, plan.W.Value, dw.Address));
        if (op.HasBias)
        {
            using var biasDesc = Tensor4d(new Shape(1, op.OutChannels, 1, 1));
            Cudnn.Check(Cudnn.cudnnConvolutionBackwardBias(_handle.Value, &one, plan.Y.Value, dy.Address, &zero, biasDesc.Value, db.Address));
        }
    }

    /// <summary>Training: dx of max pooling from x, its output y and dy.</summary>
    public void MaxPoolBackward(MaxPool2dOp op, Shape input, DevicePtr x, DevicePtr y, DevicePtr dy, DevicePtr dx, GpuStream? stream = null)
    {
        var plan = _plans.GetOrCreate(new ConvolutionKey(op, input, false), k => CreatePlan(k.Op, k.Input));
        Cudnn.Check(Cudnn.cudnnSetStream(_handle.Value, stream?.Handle ?? 0));
        float one = 1, zero = 0;
        Cudnn.Check(Cudnn.cudnnPoolingBackward(_handle.Value, plan.Pooling!.Value, &one, plan.Y.Value, y.Address, plan.Y.Value, dy.Address,
            plan.X.Value, x.Address, &zero, plan.X.Value, dx.Address));
    }

    private sealed record BackwardPlan(ConvolutionPlan Data, ConvolutionPlan Filter);

    private BackwardPlan ChooseBackward(Plan plan)
    {
        var perfs = new Cudnn.AlgoPerf[8];
        int returned;
        fixed (Cudnn.AlgoPerf* r = perfs)
            Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(_handle.Value, plan.W.Value, plan.Y.Value, plan.Conv.Value, plan.X.Value, perfs.Length, out returned, r));
        var data = ConvolutionPlanner.Choose(ToCandidates(perfs, returned), _workspaceBudgetBytes, false);
        fixed (Cudnn.AlgoPerf* r = perfs)
            Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(_handle.Value, plan.X.Value, plan.Y.Value, plan.Conv.Value, plan.W.Value, perfs.Length, out returned, r));
        var filter = ConvolutionPlanner.Choose(ToCandidates(perfs, returned), _workspaceBudgetBytes, false);
        return new BackwardPlan(data, filter);
    }

    private void Epilogue(DevicePtr bias, Activation activation, Shape output, DevicePtr y, GpuStream? stream)
    {
        if (bias.IsNull && activation == Activation.None) return;
        _kernels.AffineActivation(y, y, DevicePtr.Null, bias, output.C, output.H * output.W, output.ElementCount, activation == Activation.Relu, stream);
    }

    private DevicePtr Workspace(long bytes)
    {
        if (bytes == 0) return DevicePtr.Null;
        if (_workspace is null || _workspace.Bytes < bytes)
        {
            _workspace?.Dispose();
            _workspace = _device.Allocate(bytes);
        }
        return _workspace.Ptr;
    }

    private Plan CreatePlan(Op op, Shape input)
    {
        var output = op.InferShape(new[] { input });
        var x = Tensor4d(input);
        var y = Tensor4d(output);
        if (op is MaxPool2dOp p)
        {
            var pooling = NativeHandle.CudnnPooling();
            Cudnn.Check(Cudnn.cudnnSetPooling2dDescriptor(pooling.Value, Cudnn.CUDNN_POOLING_MAX, Cudnn.CUDNN_PROPAGATE_NAN, p.Kernel, p.Kernel, 0, 0, p.Stride, p.Stride));
            return new Plan(new ConvolutionPlan(0, 0, false), x, NativeHandle.CudnnFilter(), NativeHandle.CudnnConvolution(), y, null, null, pooling);
        }
        var w = NativeHandle.CudnnFilter();
        var conv = NativeHandle.CudnnConvolution();
        var mathType = Environment.GetEnvironmentVariable("REEL_CUDNN_FP32") == "1" ? Cudnn.CUDNN_FMA_MATH : Cudnn.CUDNN_TENSOR_OP_MATH;
        var candidates = new Cudnn.AlgoPerf[8];
        int returned;
        ConvolutionPlan choice;
        NativeHandle? biasDesc = null, activation = null;
        if (op is Conv2dOp c)
        {
            Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(w.Value, Cudnn.CUDNN_DATA_FLOAT, Cudnn.CUDNN_TENSOR_NCHW, c.OutChannels, c.InChannels, c.KernelH, c.KernelW));
            Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(conv.Value, c.Padding, c.Padding, c.Stride, c.Stride, c.Dilation, c.Dilation,
                Cudnn.CUDNN_CROSS_CORRELATION, Cudnn.CUDNN_DATA_FLOAT));
            Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(conv.Value, mathType));
            fixed (Cudnn.AlgoPerf* r = candidates)
                Cudnn.Check(Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(_handle.Value, x.Value, w.Value, conv.Value, y.Value, candidates.Length, out returned, r));
            choice = ConvolutionPlanner.Choose(ToCandidates(candidates, returned), _workspaceBudgetBytes, c.HasBias && c.Activation == Activation.Relu);
            if (choice.FusedBiasActivation)
            {
                biasDesc = Tensor4d(new Shape(1, c.OutChannels, 1, 1));
                activation = NativeHandle.CudnnActivation();
                Cudnn.Check(Cudnn.cudnnSetActivationDescriptor(activation.Value, Cudnn.CUDNN_ACTIVATION_RELU, Cudnn.CUDNN_NOT_PROPAGATE_NAN, 0));
            }
        }
        else
        {
            var t = (ConvTranspose2dOp)op;
            // The transposed conv is the data gradient of a conv from y (Cout) to x (Cin) with filter (Cin, Cout, K, K).
            Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(w.Value, Cudnn.CUDNN_DATA_FLOAT, Cudnn.CUDNN_TENSOR_NCHW, t.InChannels, t.OutChannels, t.Kernel, t.Kernel));
            Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(conv.Value, t.Padding, t.Padding, t.Stride, t.Stride, 1, 1,
                Cudnn.CUDNN_CROSS_CORRELATION, Cudnn.CUDNN_DATA_FLOAT));
            Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(conv.Value, mathType));
            fixed (Cudnn.AlgoPerf* r = candidates)
                Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(_handle.Value, w.Value, x.Value, conv.Value, y.Value, candidates.Length, out returned, r));
            choice = ConvolutionPlanner.Choose(ToCandidates(candidates, returned), _workspaceBudgetBytes, false);
        }
        return new Plan(choice, x, w, conv, y, biasDesc, activation, null);
    }

    private static AlgorithmCandidate[] ToCandidates(Cudnn.AlgoPerf[] perfs, int count) =>
        perfs.Take(count).Select(p => new AlgorithmCandidate(p.Algo, p.Status, p.TimeMs, (long)p.MemoryBytes)).ToArray();

    private static NativeHandle Tensor4d(Shape s)
    {
        var d = NativeHandle.CudnnTensor();
        Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(d.Value, Cudnn.CUDNN_TENSOR_NCHW, Cudnn.CUDNN_DATA_FLOAT, s.N, s.C, s.H, s.W));
        return d;
    }

    public void Dispose()
    {
        foreach (var p in _plans.Values) p.Dispose();
        _workspace?.Dispose();
        _handle.Dispose();
    }
}
