using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Backends.Cuda.Native;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Emulation;

/// <summary>
/// cuDNN's legacy convolution calls on the emulated device, so Reel's own cuDNN code
/// (<see cref="CudnnConvolutions"/>: plans, the measured search and its fallback, bf16 NHWC operands and
/// KRSC filters, the fused bias + ReLU, workspaces, streams) runs in the tests and under `--device emu`.
/// Each call is held to what cuDNN documents: descriptors set before use; x, w and y of one data type
/// (float or bfloat16) and one layout, the filter's NHWC meaning KRSC; a float compute type; shapes
/// that agree (y's size is the convolution's of x's); a known algorithm given at least its workspace;
/// the fused call's identity activation only with IMPLICIT_PRECOMP_GEMM and a float (1, K, 1, 1) bias; the Find calls,
/// which allocate buffers of their own, not while a stream is capturing and not beyond the device's
/// memory. A call that breaks a rule fails with a nonzero status and <see cref="ErrorString"/> says which.
/// The arithmetic is a CPU backend's on the operands as the GPU would see them: bfloat16 read exactly,
/// float rounded to TF32 unless the math type is FMA (or truncated: <see cref="TruncatesTf32"/>), results rounded to the output's type, y = α·conv + β·y
/// (y not read when β = 0); it runs in the emulator's stream order and, in a capture, in the graph.
/// </summary>
// SAFETY: the emulator's device pointers are host addresses; each read or write covers the extent of a descriptor
// checked against the call's other descriptors, and CudnnConvolutions allocates every buffer for its descriptor.
public sealed unsafe class EmulatedCudnn : ICudnn
{
    /// <summary>cuDNN 9's BAD_PARAM, NOT_SUPPORTED and INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED, the codes this emulation fails with.</summary>
    public const int BadParam = 2000, NotSupported = 3000, AllocFailed = 4004;
    private const int ImplicitGemm = 0, ImplicitPrecompGemm = 1;
    /// <summary>WINOGRAD_NONFUSED in each call's numbering: forward 7, backward data 5, backward filter 5.</summary>
    private static int WinogradNonfused(string kind) => kind == Forward ? 7 : 5;

    private readonly EmulatedDevice _device;
    private readonly IBackend _cpu;
    private readonly Dictionary<nint, object> _objects = new();
    private long _next;
    private string _lastError = "";
    private int _searches, _estimates, _mathMismatches, _nondeterministicRuns, _defaultMathRuns;
    /// <summary>The math types each (convolution descriptor, call, algorithm) was listed with, by the last search or estimate.</summary>
    private readonly Dictionary<(nint Conv, string Call, int Algo), (HashSet<int> MathTypes, bool Deterministic)> _listed = new();

    /// <param name="cpu">The backend whose convolutions compute the results (the fast CPU path, or the single-threaded reference on tiny maps).</param>
    public EmulatedCudnn(EmulatedDevice device, IBackend cpu) => (_device, _cpu) = (device, cpu);

    /// <summary>
    /// The convolution engine a GPU gets (<see cref="CudnnConvolutions"/>) over this emulated cuDNN, in
    /// <paramref name="precision"/>: what the emulated device's backend computes its convolutions with.
    /// </summary>
    public static IConvolutionEngine Convolutions(EmulatedDevice device, IBackend cpu, Precision precision = Precision.Fp32, bool measureAlgorithms = true) =>
        new CudnnConvolutions(device, new EmulatedCudnn(device, cpu), precision, measureAlgorithms: measureAlgorithms);

    /// <summary>
    /// <see cref="Convolutions"/> with this cuDNN returned too, for tests that count its searches.
    /// </summary>
    public static IConvolutionEngine Convolutions(EmulatedDevice device, IBackend cpu, Precision precision, out EmulatedCudnn cudnn, bool measureAlgorithms = true) =>
        new CudnnConvolutions(device, cudnn = new EmulatedCudnn(device, cpu), precision, measureAlgorithms: measureAlgorithms);

    /// <summary>Algorithm lists measured by a Find call.</summary>
    public int Searches => _searches;

    /// <summary>Algorithm lists taken from the v7 heuristics.</summary>
    public int Estimates => _estimates;

    /// <summary>A search then reports every algorithm it lists as failed (each entry's status), as a real one can when none could run.</summary>
    public bool SearchEntriesFail { get; set; }

    /// <summary>
    /// A search then lists WINOGRAD_NONFUSED fastest, with a workspace for its transformed filters, as cuDNN does
    /// for 3×3 layers on many GPUs; this emulation computes it exactly, as it computes every algorithm.
    /// </summary>
    public bool ListsWinograd { get; set; }

    /// <summary>
    /// A search then lists every algorithm under tensor-op math whatever the descriptor's math type, with the
    /// workspace it takes there (IMPLICIT_PRECOMP_GEMM none: <see cref="Workspace"/>), as a search on a GPU
    /// whose FMA entries all failed would leave them.
    /// </summary>
    public bool ListsTensorOpsOnly { get; set; }

    /// <summary>
    /// The fused bias + activation call is then refused as NOT_SUPPORTED, before any work, as real cuDNN
    /// refuses it for some layers that the plain call runs (a one-channel float input: pytorch/pytorch#62926).
    /// </summary>
    public bool RefusesFusedCalls { get; set; }

    /// <summary>
    /// Whether float operands reach TF32 by truncation (the low 13 mantissa bits dropped) rather than by
    /// rounding to nearest. Which a GPU's cuDNN kernels do is not documented (PyTorch's notes say the tensor
    /// cores read only the first 10 bits of the mantissa), and on DnCNN-B truncation's bias costs several
    /// times rounding's error. <c>REEL_EMU_TF32=truncate</c> sets it for <c>--device emu</c>, so the self-test's
    /// TF32 bounds are checked against both; any value but <c>round</c> or <c>truncate</c> is refused.
    /// </summary>
    public bool TruncatesTf32 { get; set; } = Environment.GetEnvironmentVariable("REEL_EMU_TF32") switch
    {
        null or "" or "round" => false,
        "truncate" => true,
        var v => throw new ReelException($"REEL_EMU_TF32 is '{v}': give round or truncate"),
    };

    /// <summary>Calls that ran an algorithm under a math type it was not listed with for that descriptor and call (PyTorch's rule: set the listed one).</summary>
    public int MathMismatches => _mathMismatches;

    /// <summary>Calls that ran an algorithm listed as nondeterministic.</summary>
    public int NondeterministicRuns => _nondeterministicRuns;

    /// <summary>Calls that ran under CUDNN_DEFAULT_MATH (listed by a search beside the descriptor's own tensor-op math).</summary>
    public int DefaultMathRuns => _defaultMathRuns;

    /// <summary>An emulated 9.0.0.</summary>
    long ICudnn.Version => 90000;

    string ICudnn.ErrorString(int status) => status switch
    {
        0 => "CUDNN_STATUS_SUCCESS",
        BadParam => $"CUDNN_STATUS_BAD_PARAM (emulated cuDNN: {_lastError})",
        NotSupported => $"CUDNN_STATUS_NOT_SUPPORTED (emulated cuDNN: {_lastError})",
        AllocFailed => $"CUDNN_STATUS_ALLOC_FAILED (emulated cuDNN: {_lastError})",
        _ => $"status {status}",
    };

    private sealed class Handle
    {
        public nint Stream;
    }

    private sealed class TensorDesc
    {
        public bool Set;
        public int Format, DataType, N, C, H, W;
        public long Elements => (long)N * C * H * W;
        public Extent Extent => new(Format, DataType, N, C, H, W);
        public TensorDesc Copy() => (TensorDesc)MemberwiseClone();
    }

    private sealed class FilterDesc
    {
        public bool Set;
        public int DataType, Format, K, C, H, W;
        /// <summary>The filter as a 4-d array: K in a tensor's N, so its NHWC is KRSC.</summary>
        public Extent Extent => new(Format, DataType, K, C, H, W);
        public FilterDesc Copy() => (FilterDesc)MemberwiseClone();
    }

    private sealed class ConvDesc
    {
        public bool Set;
        public int PadH, PadW, StrideH, StrideW, DilationH, DilationW, Mode, ComputeType, MathType = Cudnn.CUDNN_DEFAULT_MATH;
        public ConvDesc Copy() => (ConvDesc)MemberwiseClone();
    }

    private sealed class ActivationDesc
    {
        public bool Set;
        public int Mode, NanPropagation;
    }

    int ICudnn.Create(out nint handle) => Add(new Handle(), out handle);
    int ICudnn.Destroy(nint handle) => Remove<Handle>(handle);

    int ICudnn.SetStream(nint handle, nint stream)
    {
        if (!Find(handle, out Handle? h)) return Fail(BadParam, "unknown handle");
        h.Stream = stream;
        return 0;
    }

    int ICudnn.CreateTensorDescriptor(out nint desc) => Add(new TensorDesc(), out desc);
    int ICudnn.DestroyTensorDescriptor(nint desc) => Remove<TensorDesc>(desc);
    int ICudnn.CreateFilterDescriptor(out nint desc) => Add(new FilterDesc(), out desc);
    int ICudnn.DestroyFilterDescriptor(nint desc) => Remove<FilterDesc>(desc);
    int ICudnn.CreateConvolutionDescriptor(out nint desc) => Add(new ConvDesc(), out desc);
    int ICudnn.DestroyConvolutionDescriptor(nint desc) => Remove<ConvDesc>(desc);
    int ICudnn.CreateActivationDescriptor(out nint desc) => Add(new ActivationDesc(), out desc);
    int ICudnn.DestroyActivationDescriptor(nint desc) => Remove<ActivationDesc>(desc);

    int ICudnn.SetTensor4dDescriptor(nint desc, int format, int dataType, int n, int c, int h, int w)
    {
        if (!Find(desc, out TensorDesc? t)) return Fail(BadParam, "unknown tensor descriptor");
        if (n < 1 || c < 1 || h < 1 || w < 1) return Fail(BadParam, $"tensor dimensions {n}×{c}×{h}×{w}");
        if (!KnownLayout(format, dataType, out var why)) return Fail(BadParam, why);
        (t.Format, t.DataType, t.N, t.C, t.H, t.W, t.Set) = (format, dataType, n, c, h, w, true);
        return 0;
    }

    int ICudnn.SetFilter4dDescriptor(nint desc, int dataType, int format, int k, int c, int h, int w)
    {
        if (!Find(desc, out FilterDesc? f)) return Fail(BadParam, "unknown filter descriptor");
        if (k < 1 || c < 1 || h < 1 || w < 1) return Fail(BadParam, $"filter dimensions {k}×{c}×{h}×{w}");
        if (!KnownLayout(format, dataType, out var why)) return Fail(BadParam, why);
        (f.DataType, f.Format, f.K, f.C, f.H, f.W, f.Set) = (dataType, format, k, c, h, w, true);
        return 0;
    }

    int ICudnn.SetConvolution2dDescriptor(nint desc, int padH, int padW, int strideH, int strideW, int dilationH, int dilationW, int mode, int computeType)
    {
        if (!Find(desc, out ConvDesc? c)) return Fail(BadParam, "unknown convolution descriptor");
        if (padH < 0 || padW < 0 || strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1)
            return Fail(BadParam, $"padding {padH},{padW}, stride {strideH},{strideW}, dilation {dilationH},{dilationW}");
        if (mode != Cudnn.CUDNN_CROSS_CORRELATION && mode != 0) return Fail(BadParam, $"convolution mode {mode}");
        (c.PadH, c.PadW, c.StrideH, c.StrideW, c.DilationH, c.DilationW, c.Mode, c.ComputeType, c.Set) =
            (padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType, true);
        return 0;
    }

    int ICudnn.SetConvolutionMathType(nint desc, int mathType)
    {
        if (!Find(desc, out ConvDesc? c)) return Fail(BadParam, "unknown convolution descriptor");
        if (mathType is not (Cudnn.CUDNN_DEFAULT_MATH or Cudnn.CUDNN_TENSOR_OP_MATH or 2 or Cudnn.CUDNN_FMA_MATH)) return Fail(BadParam, $"math type {mathType}");
        c.MathType = mathType;
        return 0;
    }

    int ICudnn.SetActivationDescriptor(nint desc, int mode, int nanPropagation, double coef)
    {
        if (!Find(desc, out ActivationDesc? a)) return Fail(BadParam, "unknown activation descriptor");
        (a.Mode, a.NanPropagation, a.Set) = (mode, nanPropagation, true);
        return 0;
    }

    int ICudnn.FindConvolutionForwardAlgorithm(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Search(Forward, true, handle, xDesc, wDesc, conv, yDesc, requested, out returned, results);
    int ICudnn.GetConvolutionForwardAlgorithm_v7(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Search(Forward, false, handle, xDesc, wDesc, conv, yDesc, requested, out returned, results);
    int ICudnn.FindConvolutionBackwardDataAlgorithm(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Search(Data, true, handle, dxDesc, wDesc, conv, dyDesc, requested, out returned, results);
    int ICudnn.GetConvolutionBackwardDataAlgorithm_v7(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Search(Data, false, handle, dxDesc, wDesc, conv, dyDesc, requested, out returned, results);
    int ICudnn.FindConvolutionBackwardFilterAlgorithm(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Search(Filter, true, handle, xDesc, dwDesc, conv, dyDesc, requested, out returned, results);
    int ICudnn.GetConvolutionBackwardFilterAlgorithm_v7(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Search(Filter, false, handle, xDesc, dwDesc, conv, dyDesc, requested, out returned, results);

    int ICudnn.GetConvolutionForwardWorkspaceSize(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int algo, out nuint bytes) =>
        WorkspaceSize(Forward, handle, xDesc, wDesc, conv, yDesc, algo, out bytes);
    int ICudnn.GetConvolutionBackwardDataWorkspaceSize(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int algo, out nuint bytes) =>
        WorkspaceSize(Data, handle, dxDesc, wDesc, conv, dyDesc, algo, out bytes);
    int ICudnn.GetConvolutionBackwardFilterWorkspaceSize(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int algo, out nuint bytes) =>
        WorkspaceSize(Filter, handle, xDesc, dwDesc, conv, dyDesc, algo, out bytes);

    private const string Forward = "forward", Data = "backward data", Filter = "backward filter";

    /// <summary>The workspace a known algorithm takes for a consistent call under the descriptor's math type (as a forward from x to y, like <see cref="Operands"/>).</summary>
    private int WorkspaceSize(string kind, nint handle, nint xDesc, nint wDesc, nint convDesc, nint yDesc, int algo, out nuint bytes)
    {
        bytes = 0;
        if (!Find(handle, out Handle? _)) return Fail(BadParam, "unknown handle");
        if (!Consistent(xDesc, wDesc, convDesc, yDesc, out var x, out var w, out var conv, out var status)) return Fail(status, _lastError);
        if (!Known(kind, algo)) return Fail(BadParam, $"algorithm {algo} is not one this cuDNN has for {kind}");
        bytes = (nuint)Workspace(kind, algo, conv.MathType, x, w);
        return 0;
    }

    private static bool Known(string kind, int algo) => algo is ImplicitGemm or ImplicitPrecompGemm || algo == WinogradNonfused(kind);

    int ICudnn.ConvolutionForward(nint handle, float* alpha, nint xDesc, ulong x, nint wDesc, ulong w, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint yDesc, ulong y)
    {
        if (!Operands(Forward, handle, xDesc, wDesc, conv, yDesc, algo, workspace, workspaceBytes, out var call)) return call.Status;
        var (xd, wd, cd, yd) = call.Descriptors;
        return Convolution(call, "cudnnConvolutionForward", ForwardOp(cd, wd), (x, xd.Extent), (w, wd.Extent), *alpha, *beta, (y, yd.Extent), workspace);
    }

    int ICudnn.ConvolutionBiasActivationForward(nint handle, float* alpha1, nint xDesc, ulong x, nint wDesc, ulong w, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* alpha2, nint zDesc, ulong z, nint biasDesc, ulong bias, nint activation, nint yDesc, ulong y)
    {
        if (!Operands(Forward, handle, xDesc, wDesc, conv, yDesc, algo, workspace, workspaceBytes, out var call)) return call.Status;
        var (xd, wd, cd, yd) = call.Descriptors;
        if (RefusesFusedCalls) return Fail(NotSupported, "the fused call is refused for this layer");
        if (!Find(activation, out ActivationDesc? act) || !act.Set) return Fail(BadParam, "activation descriptor not set");
        if (act.Mode is not (Cudnn.CUDNN_ACTIVATION_RELU or Cudnn.CUDNN_ACTIVATION_IDENTITY)) return Fail(NotSupported, $"activation mode {act.Mode} in the fused call");
        if (act.Mode == Cudnn.CUDNN_ACTIVATION_IDENTITY && algo != ImplicitPrecompGemm)
            return Fail(NotSupported, $"the fused call's identity activation needs IMPLICIT_PRECOMP_GEMM, got algorithm {algo}");
        if (!Find(zDesc, out TensorDesc? zd) || !Same(zd, yd)) return Fail(BadParam, "z must be described as y is");
        if (!Find(biasDesc, out TensorDesc? bd) || !bd.Set || bd.DataType != Cudnn.CUDNN_DATA_FLOAT || bd.N != 1 || bd.C != wd.K || bd.H != 1 || bd.W != 1)
            return Fail(BadParam, $"the bias must be float (1, {wd.K}, 1, 1)");
        var (a1, a2) = (*alpha1, *alpha2);
        bool relu = act.Mode == Cudnn.CUDNN_ACTIVATION_RELU, propagate = act.NanPropagation == Cudnn.CUDNN_PROPAGATE_NAN;
        Enqueue(call, "cudnnConvolutionBiasActivationForward", Reads(x, w, bias, a2 != 0 ? z : 0), y, workspace, () =>
        {
            var v = Blend(Convolve(ForwardOp(cd, wd), Load(x, xd.Extent, cd), Load(w, wd.Extent, cd)), a1, a2, z, yd.Extent);
            var biases = new ReadOnlySpan<float>((void*)bias, wd.K);
            int plane = yd.H * yd.W;
            for (int i = 0; i < v.Length; i++)
            {
                float s = v[i] + biases[i / plane % wd.K];
                v[i] = !relu || s > 0 || (float.IsNaN(s) && propagate) ? s : 0f;
            }
            Store(y, yd.Extent, v);
        });
        return 0;
    }

    int ICudnn.ConvolutionBackwardData(nint handle, float* alpha, nint wDesc, ulong w, nint dyDesc, ulong dy, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint dxDesc, ulong dx)
    {
        if (!Operands(Data, handle, dxDesc, wDesc, conv, dyDesc, algo, workspace, workspaceBytes, out var call)) return call.Status;
        var (dxd, wd, cd, dyd) = call.Descriptors;
        return Convolution(call, "cudnnConvolutionBackwardData", DataGradientOp(cd, wd, dxd), (dy, dyd.Extent), (w, wd.Extent), *alpha, *beta, (dx, dxd.Extent), workspace);
    }

    int ICudnn.ConvolutionBackwardFilter(nint handle, float* alpha, nint xDesc, ulong x, nint dyDesc, ulong dy, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint dwDesc, ulong dw)
    {
        if (!Operands(Filter, handle, xDesc, dwDesc, conv, dyDesc, algo, workspace, workspaceBytes, out var call)) return call.Status;
        var (xd, wd, cd, dyd) = call.Descriptors;
        return Convolution(call, "cudnnConvolutionBackwardFilter", new Conv2dBackwardWeightOp(ForwardOp(cd, wd)), (x, xd.Extent), (dy, dyd.Extent),
            *alpha, *beta, (dw, wd.Extent), workspace);
    }

    /// <summary>
    /// The work of a checked convolution call, queued in its stream: <paramref name="op"/> on the two operands as
    /// the GPU reads them, blended into the output (α·result + β·output, the output read only when β ≠ 0).
    /// </summary>
    private int Convolution(Call call, string name, Op op, (ulong P, Extent E) first, (ulong P, Extent E) second, float alpha, float beta,
        (ulong P, Extent E) output, ulong workspace)
    {
        var cd = call.Descriptors.Conv;
        Enqueue(call, name, Reads(first.P, second.P, beta != 0 ? output.P : 0), output.P, workspace, () =>
            Store(output.P, output.E, Blend(Convolve(op, Load(first.P, first.E, cd), Load(second.P, second.E, cd)), alpha, beta, output.P, output.E)));
        return 0;
    }

    /// <summary>One convolution call's checked descriptors (copied: a graph replays the values of its capture), its stream and its status.</summary>
    private readonly record struct Call(int Status, (TensorDesc X, FilterDesc W, ConvDesc Conv, TensorDesc Y) Descriptors, nint Stream);

    /// <summary>
    /// The checks every call shares, as a forward convolution from x to y with filter w (backward data's dx is
    /// its x and dy its y; backward filter's dw is its w): the algorithm one this cuDNN lists, its workspace given.
    /// </summary>
    private bool Operands(string kind, nint handle, nint xDesc, nint wDesc, nint convDesc, nint yDesc, int algo, ulong workspace, nuint workspaceBytes, out Call call)
    {
        call = default;
        if (!Find(handle, out Handle? h)) return Failed(out call, BadParam, "unknown handle");
        if (!Consistent(xDesc, wDesc, convDesc, yDesc, out var x, out var w, out var conv, out var status)) return Failed(out call, status, _lastError);
        if (!Known(kind, algo)) return Failed(out call, BadParam, $"algorithm {algo} is not one this cuDNN has for {kind}");
        lock (_listed)
            if (_listed.TryGetValue((convDesc, kind, algo), out var listed))
            {
                if (!listed.MathTypes.Contains(conv.MathType)) Interlocked.Increment(ref _mathMismatches);
                if (!listed.Deterministic) Interlocked.Increment(ref _nondeterministicRuns);
            }
        if (conv.MathType == Cudnn.CUDNN_DEFAULT_MATH) Interlocked.Increment(ref _defaultMathRuns);
        long need = Workspace(kind, algo, conv.MathType, x, w);
        if ((long)workspaceBytes < need || (need > 0 && workspace == 0))
            return Failed(out call, BadParam, $"algorithm {algo} needs {need} bytes of workspace, given {workspaceBytes} at 0x{workspace:x}");
        call = new Call(0, (x.Copy(), w.Copy(), conv.Copy(), Get<TensorDesc>(yDesc).Copy()), h.Stream);
        return true;
    }

    private bool Failed(out Call call, int status, string why)
    {
        Fail(status, why);
        call = new Call(status, default, 0);
        return false;
    }

    private bool Consistent(nint xDesc, nint wDesc, nint convDesc, nint yDesc, out TensorDesc x, out FilterDesc w, out ConvDesc conv, out int status)
    {
        status = BadParam;
        x = null!;
        w = null!;
        conv = null!;
        if (!Find(xDesc, out TensorDesc? xd) || !xd.Set || !Find(yDesc, out TensorDesc? yd) || !yd.Set) return Check(false, "a tensor descriptor is not set");
        if (!Find(wDesc, out FilterDesc? wd) || !wd.Set) return Check(false, "the filter descriptor is not set");
        if (!Find(convDesc, out ConvDesc? cd) || !cd.Set) return Check(false, "the convolution descriptor is not set");
        (x, w, conv) = (xd, wd, cd);
        if (cd.ComputeType != Cudnn.CUDNN_DATA_FLOAT) return Check(false, $"compute type {cd.ComputeType}: float is the one for float and bfloat16 data");
        if (xd.DataType != wd.DataType || yd.DataType != wd.DataType)
            return Check(false, $"data types x {xd.DataType}, w {wd.DataType}, y {yd.DataType}: one type for all three");
        if (xd.Format != wd.Format || yd.Format != wd.Format)
            return Check(false, $"layouts x {xd.Format}, w {wd.Format}, y {yd.Format}: one layout for all three (a filter's NHWC is KRSC)");
        if (xd.C != wd.C || yd.C != wd.K || xd.N != yd.N)
            return Check(false, $"x (N {xd.N}, C {xd.C}), filter (K {wd.K}, C {wd.C}), y (N {yd.N}, C {yd.C}) disagree");
        int ho = (xd.H + 2 * cd.PadH - cd.DilationH * (wd.H - 1) - 1) / cd.StrideH + 1;
        int wo = (xd.W + 2 * cd.PadW - cd.DilationW * (wd.W - 1) - 1) / cd.StrideW + 1;
        if (ho < 1 || wo < 1 || yd.H != ho || yd.W != wo) return Check(false, $"y is {yd.H}×{yd.W}, the convolution of {xd.H}×{xd.W} gives {ho}×{wo}");
        status = NotSupported;
        if (cd.PadH != cd.PadW || cd.StrideH != cd.StrideW || cd.DilationH != cd.DilationW || cd.Mode != Cudnn.CUDNN_CROSS_CORRELATION)
            return Check(false, "this emulation computes cross-correlations with equal padding, stride and dilation on both axes");
        status = 0;
        return true;
    }

    private bool Check(bool ok, string why)
    {
        if (!ok) _lastError = why;
        return ok;
    }

    /// <summary>
    /// The algorithms for a call, as cudnnFind* (<paramref name="measured"/>) or cudnnGet*_v7 list them:
    /// IMPLICIT_PRECOMP_GEMM, which takes a workspace, is "measured" faster and "estimated" slower than IMPLICIT_GEMM,
    /// which takes none, so the two lists choose differently. As cuDNN's can, a search under tensor-op math lists
    /// an algorithm under the default math (so a caller must set the listed math type to run it), and lists a
    /// nondeterministic backward-filter algorithm fastest; a search allocates what it times on.
    /// </summary>
    private int Search(string kind, bool measured, nint handle, nint xDesc, nint wDesc, nint convDesc, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results)
    {
        returned = 0;
        if (!Find(handle, out Handle? _)) return Fail(BadParam, "unknown handle");
        if (!Consistent(xDesc, wDesc, convDesc, yDesc, out var x, out var w, out _, out var status)) return Fail(status, _lastError);
        var y = Get<TensorDesc>(yDesc);
        int math = Get<ConvDesc>(convDesc).MathType;
        bool tensorOps = math != Cudnn.CUDNN_FMA_MATH;
        var list = new List<(int Algo, float Ms, int Math, bool Deterministic)>();
        if (ListsWinograd) list.Add((WinogradNonfused(kind), measured ? 0.1f : -1f, math, true));
        if (measured)
        {
            // Backward filter's ALGO_0 sums with atomics: fastest, and not the same from run to run.
            if (kind == Filter) list.Add((ImplicitGemm, 0.2f, math, false));
            // Under tensor-op math IMPLICIT_PRECOMP_GEMM is listed with the default math only (its tensor-op entry
            // may fail, as a real search's can), so running it needs the listed math type set.
            list.Add((ImplicitPrecompGemm, 0.4f, tensorOps ? Cudnn.CUDNN_DEFAULT_MATH : math, true));
            if (kind != Filter) list.Add((ImplicitGemm, 1f, math, true));
        }
        else
        {
            list.Add((ImplicitGemm, -1f, math, kind != Filter));
            list.Add((ImplicitPrecompGemm, -1f, math, true));
        }
        if (ListsTensorOpsOnly) list = list.Select(e => e with { Math = Cudnn.CUDNN_TENSOR_OP_MATH }).ToList();
        if (measured)
        {
            _device.RefuseWhileCapturing("cudnnFind (cudaMalloc)");
            long bytes = Bytes(x.Elements, x.DataType) + Bytes((long)w.K * w.C * w.H * w.W, w.DataType) + Bytes(y.Elements, y.DataType)
                + list.Max(e => Workspace(kind, e.Algo, e.Math, x, w));
            if (bytes > _device.FreeMemoryBytes) return Fail(AllocFailed, $"no device memory for the search's {bytes} bytes of buffers ({_device.FreeMemoryBytes} free)");
            Interlocked.Increment(ref _searches);
        }
        else Interlocked.Increment(ref _estimates);
        returned = Math.Min(requested, list.Count);
        lock (_listed)
        {
            foreach (var key in _listed.Keys.Where(k => k.Conv == convDesc && k.Call == kind).ToArray()) _listed.Remove(key);
            foreach (var e in list)
            {
                if (!_listed.TryGetValue((convDesc, kind, e.Algo), out var listed)) _listed[(convDesc, kind, e.Algo)] = listed = (new HashSet<int>(), e.Deterministic);
                listed.MathTypes.Add(e.Math);
            }
        }
        for (int i = 0; i < returned; i++)
            results[i] = new CudnnAlgoPerf
            {
                Algo = list[i].Algo, Status = measured && SearchEntriesFail ? AllocFailed : 0, TimeMs = list[i].Ms,
                MemoryBytes = (nuint)Workspace(kind, list[i].Algo, list[i].Math, x, w), MathType = list[i].Math,
                Determinism = list[i].Deterministic ? Cudnn.CUDNN_DETERMINISTIC : 0,
            };
        return 0;
    }

    /// <summary>
    /// An algorithm's workspace here, which as in cuDNN depends on the math type it runs with: IMPLICIT_PRECOMP_GEMM's
    /// precomputed offsets, an int per (channel, tap), except under tensor-op math, whose kernel computes them as it
    /// goes; WINOGRAD_NONFUSED's transformed filters, a 6×6 float tile per (output, input) channel pair; none for the rest.
    /// </summary>
    private static long Workspace(string kind, int algo, int math, TensorDesc x, FilterDesc w) => algo switch
    {
        ImplicitPrecompGemm => math == Cudnn.CUDNN_TENSOR_OP_MATH ? 0 : 4L * x.C * w.H * w.W,
        _ when algo == WinogradNonfused(kind) => 4L * 36 * w.K * w.C,
        _ => 0,
    };

    private static long Bytes(long elements, int dataType) => elements * (dataType == Cudnn.CUDNN_DATA_BFLOAT16 ? 2 : 4);

    private static Conv2dOp ForwardOp(ConvDesc c, FilterDesc w) =>
        new(w.C, w.K, w.H, w.W, c.StrideH, c.PadH, c.DilationH, HasBias: false);

    /// <summary>
    /// The CPU op for a data gradient: a strided one (a transposed convolution's forward) as the CPU's
    /// transposed convolution, the same sum, whose path is fast where the CPU's ∂x, written for the prior's
    /// stride-1 training, is not; the others as the ∂x op itself.
    /// </summary>
    private static Op DataGradientOp(ConvDesc c, FilterDesc w, TensorDesc dx)
    {
        var transposed = new ConvTranspose2dOp(w.K, w.C, w.H, c.StrideH, c.PadH, HasBias: false);
        bool fits = c.StrideH > 1 && c.DilationH == 1 && w.H == w.W
            && (dx.H + 2 * c.PadH - w.H) % c.StrideH == 0 && (dx.W + 2 * c.PadW - w.W) % c.StrideW == 0;
        return fits ? transposed : new Conv2dBackwardDataOp(ForwardOp(c, w), dx.H, dx.W);
    }

    private void Enqueue(Call call, string what, DevicePtr[] reads, ulong output, ulong workspace, Action work)
    {
        var writes = workspace == 0 ? new[] { new DevicePtr(output) } : new[] { new DevicePtr(output), new DevicePtr(workspace) };
        _device.EnqueueHost(work, call.Stream == 0 ? null : new GpuStream(call.Stream, null), reads, writes);
    }

    private static DevicePtr[] Reads(params ulong[] pointers) => pointers.Where(p => p != 0).Select(p => new DevicePtr(p)).ToArray();

    /// <summary>What a tensor or filter descriptor says of its memory: layout, data type and the four dimensions (a filter's K as N).</summary>
    private readonly record struct Extent(int Format, int DataType, int N, int C, int H, int W);

    /// <summary>An operand as the GPU sees it, as an NCHW float tensor: bfloat16 widened exactly; float rounded to TF32 when the math allows tensor cores.</summary>
    private Tensor Load(ulong p, Extent e, ConvDesc conv) =>
        new(new Shape(e.N, e.C, e.H, e.W), Read(p, e, !RoundsToTf32(conv, e.DataType) ? Tf32.None : TruncatesTf32 ? Tf32.Truncate : Tf32.Round));

    /// <summary>How a float operand reaches the tensor cores: whole (FMA math, bfloat16 data), or as TF32 rounded to nearest or truncated.</summary>
    private enum Tf32 { None, Round, Truncate }

    /// <summary>Float operands with tensor-op or default math go through TF32 on sm_80 and newer; FMA math keeps them whole.</summary>
    private static bool RoundsToTf32(ConvDesc conv, int dataType) => dataType == Cudnn.CUDNN_DATA_FLOAT && conv.MathType != Cudnn.CUDNN_FMA_MATH;

    /// <summary>The CPU backend's result of <paramref name="op"/> (activations, then parameters), as NCHW floats.</summary>
    private float[] Convolve(Op op, params Tensor[] inputs)
    {
        using var result = _cpu.Execute(op, inputs);
        return result.Span.ToArray();
    }

    /// <summary>y's current values blended in: α·result + β·y, y not read when β = 0 (as cuDNN documents).</summary>
    private static float[] Blend(float[] v, float alpha, float beta, ulong y, Extent e)
    {
        var old = beta != 0 ? Read(y, e, Tf32.None) : null;
        for (int i = 0; i < v.Length; i++) v[i] = alpha * v[i] + (old is null ? 0f : beta * old[i]);
        return v;
    }

    /// <summary>NCHW floats into memory of <paramref name="e"/>'s layout and type (bfloat16 rounded to nearest even).</summary>
    private static void Store(ulong p, Extent e, float[] v)
    {
        for (int i = 0; i < v.Length; i++)
        {
            long at = Offset(e, i);
            if (e.DataType == Cudnn.CUDNN_DATA_BFLOAT16) ((ushort*)p)[at] = ToBf16(v[i]);
            else ((float*)p)[at] = v[i];
        }
    }

    private static float[] Read(ulong p, Extent e, Tf32 tf32)
    {
        var v = new float[(long)e.N * e.C * e.H * e.W];
        for (int i = 0; i < v.Length; i++)
        {
            long at = Offset(e, i);
            float f = e.DataType == Cudnn.CUDNN_DATA_BFLOAT16 ? BitConverter.UInt32BitsToSingle((uint)((ushort*)p)[at] << 16) : ((float*)p)[at];
            v[i] = tf32 switch { Tf32.Round => RoundToTf32(f), Tf32.Truncate => TruncateToTf32(f), _ => f };
        }
        return v;
    }

    /// <summary>Where NCHW element <paramref name="i"/> lies in memory of <paramref name="e"/>'s layout (NHWC: channels innermost; a filter's KRSC alike).</summary>
    private static long Offset(Extent e, long i)
    {
        if (e.Format == Cudnn.CUDNN_TENSOR_NCHW) return i;
        long plane = (long)e.H * e.W;
        long n = i / (e.C * plane), ch = i / plane % e.C, pixel = i % plane;
        return (n * plane + pixel) * e.C + ch;
    }

    /// <summary>Round to nearest even at bfloat16's 8 significant bits; NaN stays NaN.</summary>
    public static ushort ToBf16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>TF32's 11 significant bits (10 stored) of <paramref name="f"/>, the rest dropped; infinities and NaN as they are.</summary>
    public static float TruncateToTf32(float f) => float.IsFinite(f) ? BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(f) & ~0x1FFFu) : f;

    /// <summary>Round to nearest even at TF32's 11 significant bits (10 stored); infinities and NaN as they are.</summary>
    public static float RoundToTf32(float f)
    {
        if (!float.IsFinite(f)) return f;
        uint bits = BitConverter.SingleToUInt32Bits(f);
        return BitConverter.UInt32BitsToSingle((bits + 0xFFF + ((bits >> 13) & 1)) & ~0x1FFFu);
    }

    private static bool KnownLayout(int format, int dataType, out string why)
    {
        why = format is Cudnn.CUDNN_TENSOR_NCHW or Cudnn.CUDNN_TENSOR_NHWC ? "" : $"layout {format}";
        if (why.Length == 0 && dataType is not (Cudnn.CUDNN_DATA_FLOAT or Cudnn.CUDNN_DATA_BFLOAT16)) why = $"data type {dataType} (this emulation holds float and bfloat16)";
        return why.Length == 0;
    }

    private static bool Same(TensorDesc a, TensorDesc b) =>
        a.Set && b.Set && (a.Format, a.DataType, a.N, a.C, a.H, a.W) == (b.Format, b.DataType, b.N, b.C, b.H, b.W);

    private int Add(object o, out nint id)
    {
        id = (nint)Interlocked.Increment(ref _next);
        lock (_objects) _objects.Add(id, o);
        return 0;
    }

    private int Remove<T>(nint id)
    {
        lock (_objects)
            if (_objects.TryGetValue(id, out var o) && o is T) _objects.Remove(id);
            else return Fail(BadParam, $"no {typeof(T).Name} {id} to destroy");
        return 0;
    }

    private bool Find<T>(nint id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value) where T : class
    {
        lock (_objects) value = _objects.TryGetValue(id, out var o) ? o as T : null;
        return value is not null;
    }

    private T Get<T>(nint id) where T : class => Find(id, out T? v) ? v : throw new InvalidOperationException($"descriptor {id} vanished");

    private int Fail(int status, string why)
    {
        _lastError = why;
        return status;
    }
}
