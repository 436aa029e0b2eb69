using System.Diagnostics;
using System.Runtime.CompilerServices;
using Reel.Engine.Backends.Cuda.Native;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// cuDNN convolutions, transposed convolutions and the two convolution gradients on NCHW tensors,
/// with plans (descriptors, algorithm, workspace) chosen once per (op, input shape) and cached; the
/// algorithms are timed on this GPU when a plan is made (<see cref="Candidates"/>).
/// Conv2d: cudnnConvolutionForward (or BiasActivationForward when the chosen algorithm allows)
/// + the epilogue kernel for bias/ReLU. ConvTranspose2d and ∂x: cudnnConvolutionBackwardData, whose
/// filter layout (Cin, Cout, K, K) is PyTorch's ConvTranspose2d weight as stored. ∂W:
/// cudnnConvolutionBackwardFilter. <see cref="Precision"/>: fp32 forbids tensor cores (FMA math) and FFT and Winograd,
/// TF32 allows them for float tensors, bf16 rounds every operand into bfloat16 scratch buffers in
/// NHWC (filters KRSC), the layout cuDNN's tensor-core kernels read without transposing, convolves
/// there (float accumulation) and widens the result back to NCHW float. Written against the
/// documented cuDNN 9 legacy API, which it calls through <see cref="ICudnn"/>: never run against
/// the real library here (no GPU), but in the tests against the emulated device's cuDNN, which holds
/// every call to the documented rules (Reel.Emulation's EmulatedCudnn).
/// </summary>
// SAFETY: the raw accesses are the alpha/beta scalars and the algorithm lists, each bounded where it is made.
internal sealed unsafe class CudnnConvolutions : IConvolutionEngine
{
    private readonly IGpuDevice _device;
    private readonly ICudnn _cudnn;
    private readonly CudaKernels _kernels;
    private readonly NativeHandle _handle;
    private readonly PlanCache<ConvolutionKey, Plan> _plans = new();
    private readonly PlanCache<ConvolutionKey, BackwardPlan> _backward = new();
    private readonly long _workspaceBudgetBytes;
    private readonly bool _measure;
    private readonly DeviceBuffer?[] _scratch = new DeviceBuffer?[4];
    private DeviceBuffer? _workspace;
    /// <summary>Workspaces and scratch outgrown: a captured graph may still use their addresses, so they live as long as the engine.</summary>
    private readonly List<DeviceBuffer> _outgrown = new();

    /// <summary>
    /// A plan's descriptors, and its forward algorithm once chosen: the gradients' plans (the linear conv's
    /// descriptors) choose none until a forward runs on them, so training searches no forward it never runs.
    /// </summary>
    private sealed record Plan(NativeHandle X, NativeHandle W, NativeHandle Conv, NativeHandle Y,
        NativeHandle? Bias, NativeHandle? Activation) : IDisposable
    {
        public ConvolutionPlan? Choice { get; set; }

        public void Dispose()
        {
            foreach (var h in new[] { X, W, Conv, Y, Bias, Activation }) h?.Dispose();
        }
    }

    private sealed record BackwardPlan(ConvolutionPlan Data, ConvolutionPlan Filter);

    /// <param name="cudnn">The library: <see cref="NativeCudnn"/> on a GPU, the emulated one on the emulated device.</param>
    /// <param name="measureAlgorithms">Time the algorithms once per plan (cudnnFind*), or take cuDNN's heuristic estimate (<see cref="CudaBackend.MeasuresAlgorithms"/>).</param>
    public CudnnConvolutions(IGpuDevice device, ICudnn cudnn, Precision precision = Precision.Tf32, long workspaceBudgetBytes = 512L << 20,
        bool measureAlgorithms = true)
    {
        _device = device;
        _cudnn = cudnn;
        _measure = measureAlgorithms;
        _kernels = new CudaKernels(device);
        _workspaceBudgetBytes = workspaceBudgetBytes;
        // TF32 needs sm_80; on older GPUs tensor-op math with float tensors is plain fp32 anyway.
        Precision = precision;
        Check(cudnn.Create(out var h));
        _handle = new NativeHandle(h, cudnn.Destroy, "cudnnHandle");
        Version = cudnn.Version;
    }

    public string Name => $"cuDNN {Version / 10000 % 100}.{Version / 100 % 100}.{Version % 100} ({Precision}{(_measure ? "" : ", heuristic algorithms")})";
    public long Version { get; }
    public Precision Precision { get; }

    private bool Bf16 => Precision == Precision.Bf16;
    private int DataType => Bf16 ? Cudnn.CUDNN_DATA_BFLOAT16 : Cudnn.CUDNN_DATA_FLOAT;
    /// <summary>NHWC for bf16 (and KRSC for its filters), as <see cref="Operand"/> lays them out; NCHW, the tensors' own, for float.</summary>
    private int Format => Bf16 ? Cudnn.CUDNN_TENSOR_NHWC : Cudnn.CUDNN_TENSOR_NCHW;
    private int MathType => Precision == Precision.Fp32 ? Cudnn.CUDNN_FMA_MATH : Cudnn.CUDNN_TENSOR_OP_MATH;

    public bool Supports(Op op) => op is Conv2dOp or ConvTranspose2dOp or Conv2dBackwardDataOp or Conv2dBackwardWeightOp;

    public void Run(Op op, Shape input, DevicePtr x, DevicePtr weight, DevicePtr bias, DevicePtr y, GpuStream? stream = null)
    {
        // The stream first: a plan made here measures its algorithms on the op's own stream.
        Check(_cudnn.SetStream(_handle.Value, stream?.Handle ?? 0));
        var (plan, choice) = ForwardPlan(op, input);
        var output = op.InferShape(new[] { input });
        var weightShape = op.ParameterShapes[0];
        var (xs, ws, ys) = (Operand(0, x, input, stream), Operand(1, weight, weightShape, stream), Result(2, y, output));
        var workspace = Workspace(choice.WorkspaceBytes);
        Check(_cudnn.SetConvolutionMathType(plan.Conv.Value, choice.MathType));
        // SAFETY: &one and &zero point at these locals for the synchronous call; every device pointer is a buffer
        // sized by the plan's own shapes (operands, results and a workspace of at least the algorithm's bytes).
        float one = 1, zero = 0;
        if (choice.FusedBiasActivation)
        {
            int status = _cudnn.ConvolutionBiasActivationForward(_handle.Value, &one, plan.X.Value, xs.Address, plan.W.Value, ws.Address,
                plan.Conv.Value, choice.Algorithm, workspace.Address, (nuint)choice.WorkspaceBytes, &zero, plan.Y.Value, ys.Address,
                plan.Bias!.Value, bias.Address, plan.Activation!.Value, plan.Y.Value, ys.Address);
            if (status == 0) return;
            // cuDNN refuses the fused call for some layers the plain call runs (a one-channel input; the NaN
            // propagation asked for): refused before any work, so the plan runs unfused from now on, its bias and
            // ReLU by the epilogue kernel. The first runs are eager, so this never happens inside a capture.
            if (!IsRefusal(status)) Check(status, "cudnnConvolutionBiasActivationForward");
            plan.Choice = choice = choice with { FusedBiasActivation = false };
            Interlocked.Increment(ref _fusionsRefused);
        }
        switch (op)
        {
            case Conv2dOp c:
                Check(_cudnn.ConvolutionForward(_handle.Value, &one, plan.X.Value, xs.Address, plan.W.Value, ws.Address, plan.Conv.Value,
                    choice.Algorithm, workspace.Address, (nuint)choice.WorkspaceBytes, &zero, plan.Y.Value, ys.Address));
                Finish(ys, y, output, c.HasBias ? bias : DevicePtr.Null, c.Activation, stream);
                break;
            case ConvTranspose2dOp t:
                Check(_cudnn.ConvolutionBackwardData(_handle.Value, &one, plan.W.Value, ws.Address, plan.X.Value, xs.Address, plan.Conv.Value,
                    choice.Algorithm, workspace.Address, (nuint)choice.WorkspaceBytes, &zero, plan.Y.Value, ys.Address));
                Finish(ys, y, output, t.HasBias ? bias : DevicePtr.Null, t.Activation, stream);
                break;
            default:
                throw new NotSupportedException($"{op.GetType().Name} on {Name}");
        }
    }

    /// <summary>A forward plan, made on first use, with its algorithm.</summary>
    private (Plan Plan, ConvolutionPlan Choice) ForwardPlan(Op op, Shape input)
    {
        var plan = _plans.GetOrCreate(Key(op, input), k => CreatePlan(k.Op, k.Input, chooseForward: true));
        // A gradients' plan that a forward now runs on (a conv with neither bias nor activation) chooses its forward here.
        var choice = plan.Choice ??= Choose(ConvolutionDirection.Forward, plan.X.Value, plan.W.Value, plan.Conv.Value, plan.Y.Value, false);
        return (plan, choice);
    }

    /// <summary>bf16 runs chains as one op (<see cref="RunChain"/>); fp32 and TF32 compute on the float tensors themselves, so layer by layer loses nothing.</summary>
    public bool RunsChains => Bf16;

    /// <summary>
    /// bf16: the layers one after another with the activations between them kept bfloat16 NHWC in scratch,
    /// ping-ponging between two slots: the input rounded and transposed once, each inner layer's bias and
    /// ReLU applied in place there (bias_act_nhwc_bf16), and only the last layer's result widened to NCHW
    /// float. Layer by layer, each result would be widened to float and rounded back into bfloat16 NHWC by the
    /// next layer; the values are the same (the rounding of the bias and ReLU's float result is the next
    /// layer's input rounding), with one pass over each activation at 2 bytes a value instead of three at 4 or 2.
    /// Each layer's plan is the one it has alone.
    /// </summary>
    public void RunChain(ConvChainOp op, Shape input, DevicePtr x, IReadOnlyList<DevicePtr> parameters, DevicePtr y, GpuStream? stream = null)
    {
        if (!Bf16) throw new InvalidOperationException($"{Name} runs chains layer by layer (RunsChains is false)");
        Check(_cudnn.SetStream(_handle.Value, stream?.Handle ?? 0));
        var perLayer = op.PerLayer(parameters);
        var shape = input;
        var current = Operand(0, x, input, stream);
        int slot = 0;
        for (int i = 0; i < op.Layers.Count; i++)
        {
            var layer = op.Layers[i];
            var (plan, choice) = ForwardPlan(layer, shape);
            var output = layer.InferShape(new[] { shape });
            bool last = i == op.Layers.Count - 1;
            // Inner results alternate between slots 0 and 3; the last goes to slot 2, as a single conv's does.
            int next = last ? 2 : 3 - slot;
            var ws = Operand(1, perLayer[i][0], layer.ParameterShapes[0], stream);
            var result = Scratch(next, output.ElementCount * 2);
            var workspace = Workspace(choice.WorkspaceBytes);
            Check(_cudnn.SetConvolutionMathType(plan.Conv.Value, choice.MathType));
            // SAFETY: &one and &zero point at these locals for the synchronous call; every device pointer is a buffer
            // sized by the plan's own shapes (operands, results and a workspace of at least the algorithm's bytes).
            float one = 1, zero = 0;
            Check(_cudnn.ConvolutionForward(_handle.Value, &one, plan.X.Value, current.Address, plan.W.Value, ws.Address, plan.Conv.Value,
                choice.Algorithm, workspace.Address, (nuint)choice.WorkspaceBytes, &zero, plan.Y.Value, result.Address));
            var bias = layer.HasBias ? perLayer[i][1] : DevicePtr.Null;
            bool relu = layer.Activation == Activation.Relu;
            if (last) _kernels.NhwcBf16ToNchwBiasAct(result, y, bias, output.N, output.C, output.H * output.W, relu, stream);
            else if (!bias.IsNull || relu) _kernels.BiasActivationNhwcBf16(result, bias, output.C, output.ElementCount, relu, stream);
            (current, slot, shape) = (result, next, output);
        }
    }

    /// <summary>"cudnn 1 tc fused": cuDNN's algorithm number, its math type (fma, tc: tensor ops, default), whether bias and ReLU are fused.</summary>
    public string Describe(Op op, Shape input)
    {
        // The gradients' plans are kept under their forward conv, as BackwardData and BackwardFilter are given it.
        ConvolutionPlan? choice = op switch
        {
            Conv2dBackwardDataOp d => _backward.TryGet(Key(d.Forward, input), out var b) ? b.Data : null,
            Conv2dBackwardWeightOp w => _backward.TryGet(Key(w.Forward, input), out var b) ? b.Filter : null,
            _ => _plans.TryGet(Key(op, input), out var p) ? p.Choice : null,
        };
        if (choice is null) return "";
        string math = choice.MathType switch
        {
            Cudnn.CUDNN_FMA_MATH => "fma",
            Cudnn.CUDNN_TENSOR_OP_MATH => "tc",
            Cudnn.CUDNN_DEFAULT_MATH => "default",
            var other => $"math {other}",
        };
        return $"cudnn {choice.Algorithm} {math}{(choice.FusedBiasActivation ? " fused" : "")}";
    }

    /// <summary>Training: dx from dy through the weights (β = 0), algorithm chosen once per (op, input) like the forward plan.</summary>
    public void BackwardData(Conv2dOp op, Shape input, DevicePtr dy, DevicePtr weight, DevicePtr dx, GpuStream? stream = null)
    {
        Check(_cudnn.SetStream(_handle.Value, stream?.Handle ?? 0));
        var (plan, backward) = Backward(op, input);
        var (dys, ws, dxs) = (Operand(0, dy, op.InferShape(new[] { input }), stream), Operand(1, weight, op.ParameterShapes[0], stream), Result(2, dx, input));
        // SAFETY: &one and &zero point at these locals for the synchronous call; every device pointer is a buffer
        // sized by the plan's own shapes (operands, results and a workspace of at least the algorithm's bytes).
        float one = 1, zero = 0;
        var workspace = Workspace(backward.Data.WorkspaceBytes);
        Check(_cudnn.SetConvolutionMathType(plan.Conv.Value, backward.Data.MathType));
        Check(_cudnn.ConvolutionBackwardData(_handle.Value, &one, plan.W.Value, ws.Address, plan.Y.Value, dys.Address, plan.Conv.Value,
            backward.Data.Algorithm, workspace.Address, (nuint)backward.Data.WorkspaceBytes, &zero, plan.X.Value, dxs.Address));
        Widen(dxs, dx, input, stream);
    }

    /// <summary>Training: dW from the forward's input and dy (β = 0).</summary>
    public void BackwardFilter(Conv2dOp op, Shape input, DevicePtr x, DevicePtr dy, DevicePtr dw, GpuStream? stream = null)
    {
        Check(_cudnn.SetStream(_handle.Value, stream?.Handle ?? 0));
        var (plan, backward) = Backward(op, input);
        var weightShape = op.ParameterShapes[0];
        var (xs, dys, dws) = (Operand(0, x, input, stream), Operand(1, dy, op.InferShape(new[] { input }), stream), Result(2, dw, weightShape));
        // SAFETY: &one and &zero point at these locals for the synchronous call; every device pointer is a buffer
        // sized by the plan's own shapes (operands, results and a workspace of at least the algorithm's bytes).
        float one = 1, zero = 0;
        var workspace = Workspace(backward.Filter.WorkspaceBytes);
        Check(_cudnn.SetConvolutionMathType(plan.Conv.Value, backward.Filter.MathType));
        Check(_cudnn.ConvolutionBackwardFilter(_handle.Value, &one, plan.X.Value, xs.Address, plan.Y.Value, dys.Address, plan.Conv.Value,
            backward.Filter.Algorithm, workspace.Address, (nuint)backward.Filter.WorkspaceBytes, &zero, plan.W.Value, dws.Address));
        Widen(dws, dw, weightShape, stream);
    }

    /// <summary>The plans of a conv's gradients share the linear conv's descriptors; its bias and activation do not matter.</summary>
    private (Plan Plan, BackwardPlan Backward) Backward(Conv2dOp op, Shape input)
    {
        var key = Key(op, input);
        var plan = _plans.GetOrCreate(key, k => CreatePlan(k.Op, k.Input, chooseForward: false));
        return (plan, _backward.GetOrCreate(key, _ => ChooseBackward(plan)));
    }

    /// <summary>The cache key: a forward conv, or the conv whose gradients are wanted (as the trainer gives it), on its input shape.</summary>
    private ConvolutionKey Key(Op op, Shape input) => new(op, input, Bf16);

    /// <summary>
    /// An operand as cuDNN reads it: the tensor itself, or in bf16 its rounded copy in scratch slot
    /// <paramref name="slot"/>, NHWC (a filter (K, C, R, S) is the same transpose: KRSC).
    /// </summary>
    private DevicePtr Operand(int slot, DevicePtr p, Shape shape, GpuStream? stream)
    {
        if (!Bf16) return p;
        var half = Scratch(slot, shape.ElementCount * 2);
        _kernels.NchwToNhwcBf16(p, half, shape[0], shape[1], shape[2] * shape[3], stream);
        return half;
    }

    /// <summary>Where cuDNN writes a result: the tensor itself, or in bf16 a scratch slot that <see cref="Widen"/> copies back.</summary>
    private DevicePtr Result(int slot, DevicePtr p, Shape shape) => Bf16 ? Scratch(slot, shape.ElementCount * 2) : p;

    private void Widen(DevicePtr result, DevicePtr p, Shape shape, GpuStream? stream)
    {
        if (Bf16) _kernels.NhwcBf16ToNchw(result, p, shape[0], shape[1], shape[2] * shape[3], stream);
    }

    private DevicePtr Scratch(int slot, long bytes)
    {
        if (_scratch[slot] is not { } b || b.Bytes < bytes)
        {
            if (_scratch[slot] is { } old) _outgrown.Add(old);
            _scratch[slot] = b = _device.Allocate(bytes);
        }
        return b.Ptr;
    }

    private BackwardPlan ChooseBackward(Plan plan) => new(
        Choose(ConvolutionDirection.BackwardData, plan.W.Value, plan.Y.Value, plan.Conv.Value, plan.X.Value, false),
        Choose(ConvolutionDirection.BackwardFilter, plan.X.Value, plan.Y.Value, plan.Conv.Value, plan.W.Value, false));

    /// <summary>
    /// The algorithm for one call, with the descriptors in that call's order (forward: x, w, conv, y; backward
    /// data: w, dy, conv, dx; backward filter: x, dy, conv, dw): the fastest that fits the workspace budget
    /// among the deterministic ones when there are any (a shot trained twice, by a resumed run or another
    /// process, makes the same piece), run with the math type it was listed with — cuDNN lists an algorithm
    /// under the descriptor's math type and under the default one, which on sm_80 and newer allows TF32 too;
    /// in fp32 only the direct-summing algorithms count, each run with FMA math (<see cref="Usable"/>).
    /// </summary>
    private ConvolutionPlan Choose(ConvolutionDirection direction, nint a, nint b, nint conv, nint c, bool wantsBiasRelu)
    {
        // The descriptor is shared by the three calls and holds the math type the last of them ran with: the search starts from the precision's.
        Check(_cudnn.SetConvolutionMathType(conv, MathType));
        var listed = Usable(direction, Candidates(direction, a, b, conv, c, _measure), a, b, conv, c);
        // A search whose every entry failed or wants more workspace than the budget: the estimate may still offer one.
        if (_measure && !listed.Any(Fits)) listed = Usable(direction, Candidates(direction, a, b, conv, c, measure: false), a, b, conv, c);
        var deterministic = listed.Where(x => x.Deterministic).ToArray();
        return ConvolutionPlanner.Choose(deterministic.Any(Fits) ? deterministic : listed, _workspaceBudgetBytes, wantsBiasRelu);
    }

    private bool Fits(AlgorithmCandidate x) => x.Status == 0 && x.WorkspaceBytes <= _workspaceBudgetBytes;

    /// <summary>
    /// The entries this precision can run. TF32 and bf16: all. fp32, the reference: only the algorithms that sum
    /// the products directly, as the CPU does, in another order (<see cref="ConvolutionPlanner.SumsDirectly"/>);
    /// FFT and Winograd transform the operands, and their rounding error, larger and shaped by the transform, is
    /// not the one fp32's parity bound was set for. Each runs with FMA math: an algorithm listed only under
    /// another math type takes the workspace cuDNN gives for it under FMA (the descriptor's math type now), not
    /// the one it was listed with, which may be another kernel's.
    /// </summary>
    private AlgorithmCandidate[] Usable(ConvolutionDirection direction, AlgorithmCandidate[] listed, nint a, nint b, nint conv, nint c)
    {
        if (Precision != Precision.Fp32) return listed;
        var direct = listed.Where(x => ConvolutionPlanner.SumsDirectly(direction, x.Algorithm)).ToArray();
        var fma = direct.Where(x => x.MathType == Cudnn.CUDNN_FMA_MATH).ToList();
        // What another math type's entry says of its own kernel (status, workspace) is not the FMA kernel's: the
        // query's status and workspace stand for it, the entry's timing only orders it after the FMA-timed ones.
        foreach (var other in direct.Where(x => x.MathType != Cudnn.CUDNN_FMA_MATH).OrderBy(x => x.Status != 0).DistinctBy(x => x.Algorithm))
        {
            if (fma.Any(x => x.Algorithm == other.Algorithm && x.Status == 0)) continue;
            int status = WorkspaceSize(direction, a, b, conv, c, other.Algorithm, out long bytes);
            fma.Add(other with { MathType = Cudnn.CUDNN_FMA_MATH, WorkspaceBytes = bytes, Status = status });
        }
        if (fma.Count == 0)
            throw new ReelException($"cuDNN listed no {direction} algorithm that fp32 can run (a GEMM-family one, under FMA math) for this layer; " +
                                    "--precision tf32 allows the others");
        return fma.ToArray();
    }

    /// <summary>cudnnGet*WorkspaceSize: the workspace <paramref name="algorithm"/> takes for this call under the descriptor's math type.</summary>
    private int WorkspaceSize(ConvolutionDirection direction, nint a, nint b, nint conv, nint c, int algorithm, out long bytes)
    {
        nuint size;
        int status = direction switch
        {
            ConvolutionDirection.Forward => _cudnn.GetConvolutionForwardWorkspaceSize(_handle.Value, a, b, conv, c, algorithm, out size),
            ConvolutionDirection.BackwardData => _cudnn.GetConvolutionBackwardDataWorkspaceSize(_handle.Value, a, b, conv, c, algorithm, out size),
            _ => _cudnn.GetConvolutionBackwardFilterWorkspaceSize(_handle.Value, a, b, conv, c, algorithm, out size),
        };
        bytes = (long)size;
        return status;
    }

    /// <summary>
    /// The algorithms for one call, fastest first. cudnnFind* measures them: it runs each algorithm on buffers of
    /// its own, once per plan, so a film's thousands of calls use what is fastest on this GPU rather than what
    /// cuDNN's heuristics guess (as PyTorch's cudnn.benchmark does). When it cannot allocate those buffers (cuDNN 9's
    /// host or device allocation failure, cuDNN 8's ALLOC_FAILED), or when told not to search, cudnnGet*_v7's
    /// estimate decides, which needs none; any other failure of the search is an error. A search allocates and
    /// synchronizes, which no graph can hold: a plan is made in the eager runs before a capture, never inside one.
    /// </summary>
    private AlgorithmCandidate[] Candidates(ConvolutionDirection direction, nint a, nint b, nint conv, nint c, bool measure)
    {
        if (measure && _device.IsCapturing)
            throw new InvalidOperationException($"a cuDNN plan ({direction}) was made inside a graph capture: the eager runs before it should have made it");
        // Room for every algorithm under two math types: cuDNN may list one algorithm once per math type, and
        // fp32 keeps a few of them only, which the fastest eight entries might not include.
        var perfs = new CudnnAlgoPerf[16];
        int returned = 0;
        // SAFETY: cuDNN writes at most `requested` = perfs.Length results into perfs and says how many.
        fixed (CudnnAlgoPerf* r = perfs)
        {
            var measured = !measure ? -1 : direction switch
            {
                ConvolutionDirection.Forward => _cudnn.FindConvolutionForwardAlgorithm(_handle.Value, a, b, conv, c, perfs.Length, out returned, r),
                ConvolutionDirection.BackwardData => _cudnn.FindConvolutionBackwardDataAlgorithm(_handle.Value, a, b, conv, c, perfs.Length, out returned, r),
                _ => _cudnn.FindConvolutionBackwardFilterAlgorithm(_handle.Value, a, b, conv, c, perfs.Length, out returned, r),
            };
            if (measured != 0)
            {
                if (measured != -1 && !IsAllocationFailure(measured))
                    Check(measured, $"FindConvolution{direction}Algorithm");
                Check(direction switch
                {
                    ConvolutionDirection.Forward => _cudnn.GetConvolutionForwardAlgorithm_v7(_handle.Value, a, b, conv, c, perfs.Length, out returned, r),
                    ConvolutionDirection.BackwardData => _cudnn.GetConvolutionBackwardDataAlgorithm_v7(_handle.Value, a, b, conv, c, perfs.Length, out returned, r),
                    _ => _cudnn.GetConvolutionBackwardFilterAlgorithm_v7(_handle.Value, a, b, conv, c, perfs.Length, out returned, r),
                }, $"GetConvolution{direction}Algorithm_v7");
            }
        }
        Debug.Assert(returned <= perfs.Length);
        return perfs.Take(returned)
            .Select(p => new AlgorithmCandidate(p.Algo, p.Status, p.TimeMs, (long)p.MemoryBytes, p.MathType, p.Determinism == Cudnn.CUDNN_DETERMINISTIC))
            .ToArray();
    }

    /// <summary>A call refused for its arguments: cuDNN 9's BAD_PARAM and NOT_SUPPORTED families (2000–3999), or cuDNN 8's BAD_PARAM (3) and NOT_SUPPORTED (9).</summary>
    private bool IsRefusal(int status) => Version >= 90000 ? status is >= 2000 and < 4000 : status is 3 or 9;

    /// <summary>Plans whose fused bias + ReLU call cuDNN refused, now run unfused.</summary>
    public int FusionsRefused => _fusionsRefused;
    private int _fusionsRefused;

    /// <summary>cuDNN 9's INTERNAL_ERROR_HOST/DEVICE_ALLOCATION_FAILED (4003, 4004), or cuDNN 8's ALLOC_FAILED (2).</summary>
    private bool IsAllocationFailure(int status) => Version >= 90000 ? status is 4003 or 4004 : status == 2;

    /// <summary>
    /// A forward result into the output tensor with its bias and activation, where cuDNN did not fuse them:
    /// in bf16 widened with them applied on the way (one pass over the output, not two); in float the
    /// epilogue kernel, in place.
    /// </summary>
    private void Finish(DevicePtr result, DevicePtr y, Shape output, DevicePtr bias, Activation activation, GpuStream? stream)
    {
        bool relu = activation == Activation.Relu;
        if (Bf16)
            _kernels.NhwcBf16ToNchwBiasAct(result, y, bias, output.N, output.C, output.H * output.W, relu, stream);
        else if (!bias.IsNull || relu)
            _kernels.AffineActivation(y, y, DevicePtr.Null, bias, output.C, output.H * output.W, output.ElementCount, relu, stream);
    }

    private DevicePtr Workspace(long bytes)
    {
        if (bytes == 0) return DevicePtr.Null;
        if (_workspace is null || _workspace.Bytes < bytes)
        {
            if (_workspace is not null) _outgrown.Add(_workspace);
            _workspace = _device.Allocate(bytes);
        }
        return _workspace.Ptr;
    }

    private Plan CreatePlan(Op op, Shape input, bool chooseForward)
    {
        var output = op.InferShape(new[] { input });
        var x = Tensor4d(input);
        var y = Tensor4d(output);
        var w = Descriptor(_cudnn.CreateFilterDescriptor, _cudnn.DestroyFilterDescriptor, "cudnnFilterDescriptor");
        var conv = Descriptor(_cudnn.CreateConvolutionDescriptor, _cudnn.DestroyConvolutionDescriptor, "cudnnConvolutionDescriptor");
        ConvolutionPlan? choice = null;
        NativeHandle? biasDesc = null, activation = null;
        if (op is Conv2dOp c)
        {
            Check(_cudnn.SetFilter4dDescriptor(w.Value, DataType, Format, c.OutChannels, c.InChannels, c.KernelH, c.KernelW));
            Check(_cudnn.SetConvolution2dDescriptor(conv.Value, c.Padding, c.Padding, c.Stride, c.Stride, c.Dilation, c.Dilation,
                Cudnn.CUDNN_CROSS_CORRELATION, Cudnn.CUDNN_DATA_FLOAT));
            // The fused call adds the bias in the output's type: float only.
            if (chooseForward) choice = Choose(ConvolutionDirection.Forward, x.Value, w.Value, conv.Value, y.Value, !Bf16 && c.HasBias && c.Activation == Activation.Relu);
            if (choice?.FusedBiasActivation == true)
            {
                biasDesc = Tensor4d(new Shape(1, c.OutChannels, 1, 1));
                activation = Descriptor(_cudnn.CreateActivationDescriptor, _cudnn.DestroyActivationDescriptor, "cudnnActivationDescriptor");
                Check(_cudnn.SetActivationDescriptor(activation.Value, Cudnn.CUDNN_ACTIVATION_RELU, Cudnn.CUDNN_PROPAGATE_NAN, 0));
            }
        }
        else
        {
            var t = (ConvTranspose2dOp)op;
            // The transposed conv is the data gradient of a conv from y (Cout) to x (Cin) with filter (Cin, Cout, K, K).
            Check(_cudnn.SetFilter4dDescriptor(w.Value, DataType, Format, t.InChannels, t.OutChannels, t.Kernel, t.Kernel));
            Check(_cudnn.SetConvolution2dDescriptor(conv.Value, t.Padding, t.Padding, t.Stride, t.Stride, 1, 1,
                Cudnn.CUDNN_CROSS_CORRELATION, Cudnn.CUDNN_DATA_FLOAT));
            choice = Choose(ConvolutionDirection.BackwardData, w.Value, x.Value, conv.Value, y.Value, false);
        }
        return new Plan(x, w, conv, y, biasDesc, activation) { Choice = choice };
    }

    private NativeHandle Tensor4d(Shape s)
    {
        var d = Descriptor(_cudnn.CreateTensorDescriptor, _cudnn.DestroyTensorDescriptor, "cudnnTensorDescriptor");
        Check(_cudnn.SetTensor4dDescriptor(d.Value, Format, DataType, s.N, s.C, s.H, s.W));
        return d;
    }

    private delegate int Creator(out nint desc);

    private NativeHandle Descriptor(Creator create, Func<nint, int> destroy, string kind)
    {
        Check(create(out var d), "Create" + kind[5..]);
        return new NativeHandle(d, destroy, kind);
    }

    /// <summary>A failed call as an exception naming it ("_cudnn.SetStream(…)" → cudnnSetStream) with cuDNN's own words for the status.</summary>
    private void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0) throw new CudaException("cudnn" + Driver.CallName(call), status, _cudnn.ErrorString(status));
    }

    public void Dispose()
    {
        foreach (var p in _plans.Values) p.Dispose();
        _workspace?.Dispose();
        foreach (var b in _scratch.Concat(_outgrown)) b?.Dispose();
        _handle.Dispose();
    }
}
