using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>
/// cuDNN's legacy descriptor API (cudnn_ops_infer.h / cudnn_cnn_infer.h / cudnn_cnn_train.h in
/// v8; cudnn_graph.h / cudnn_ops.h / cudnn_cnn.h in v9, where every call bound here remains —
/// checked against bindings generated from the cuDNN 9 headers, docs/cuda.md lists them):
/// tensors, filters, convolutions with measured (or heuristic) algorithm choice, forward with fused bias and
/// activation, backward data (also the transposed convolution) and filter for training. Written
/// from the public headers; no cuDNN is installed where this was built. Called through
/// <see cref="ICudnn"/> (<see cref="NativeCudnn"/>).
/// </summary>
// SAFETY: declarations of cuDNN's entry points; every pointer passed is sized by its caller for what the
// header says the call reads or writes, and each call site states that bound.
internal static unsafe partial class Cudnn
{
    static Cudnn() => NativeLibraries.EnsureResolver();

    // cudnnDataType_t, cudnnTensorFormat_t, cudnnConvolutionMode_t, cudnnMathType_t,
    // cudnnActivationMode_t, cudnnNanPropagation_t.
    public const int CUDNN_DATA_FLOAT = 0, CUDNN_DATA_HALF = 2, CUDNN_DATA_BFLOAT16 = 9;
    public const int CUDNN_TENSOR_NCHW = 0, CUDNN_TENSOR_NHWC = 1;
    public const int CUDNN_CROSS_CORRELATION = 1;
    public const int CUDNN_DEFAULT_MATH = 0, CUDNN_TENSOR_OP_MATH = 1, CUDNN_FMA_MATH = 3;
    public const int CUDNN_ACTIVATION_RELU = 1, CUDNN_ACTIVATION_IDENTITY = 5;
    public const int CUDNN_NOT_PROPAGATE_NAN = 0, CUDNN_PROPAGATE_NAN = 1;
    /// <summary>cudnnDeterminism_t: an algorithm's result is the same from run to run.</summary>
    public const int CUDNN_DETERMINISTIC = 1;
    /// <summary>The only forward algorithm cudnnConvolutionBiasActivationForward accepts with an identity activation (any runs a ReLU).</summary>
    public const int CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1;

    [LibraryImport(NativeLibraries.Cudnn)] public static partial nuint cudnnGetVersion();
    [LibraryImport(NativeLibraries.Cudnn)] public static partial byte* cudnnGetErrorString(int status);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnCreate(out nint handle);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnDestroy(nint handle);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnSetStream(nint handle, nint stream);

    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnCreateTensorDescriptor(out nint desc);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnSetTensor4dDescriptor(nint desc, int format, int dataType, int n, int c, int h, int w);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnDestroyTensorDescriptor(nint desc);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnCreateFilterDescriptor(out nint desc);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnSetFilter4dDescriptor(nint desc, int dataType, int format, int k, int c, int h, int w);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnDestroyFilterDescriptor(nint desc);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnCreateConvolutionDescriptor(out nint desc);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnSetConvolution2dDescriptor(nint desc, int padH, int padW, int strideH, int strideW, int dilationH, int dilationW, int mode, int computeType);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnSetConvolutionMathType(nint desc, int mathType);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnDestroyConvolutionDescriptor(nint desc);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnCreateActivationDescriptor(out nint desc);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnSetActivationDescriptor(nint desc, int mode, int nanPropagation, double coef);
    [LibraryImport(NativeLibraries.Cudnn)] public static partial int cudnnDestroyActivationDescriptor(nint desc);

    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnGetConvolutionForwardAlgorithm_v7(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnFindConvolutionForwardAlgorithm(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnConvolutionForward(nint handle, float* alpha, nint xDesc, ulong x, nint wDesc, ulong w, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint yDesc, ulong y);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnConvolutionBiasActivationForward(nint handle, float* alpha1, nint xDesc, ulong x, nint wDesc, ulong w, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* alpha2, nint zDesc, ulong z, nint biasDesc, ulong bias, nint activation, nint yDesc, ulong y);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnGetConvolutionForwardWorkspaceSize(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int algo, out nuint bytes);

    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnGetConvolutionBackwardDataAlgorithm_v7(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int requested, out int returned, CudnnAlgoPerf* results);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnFindConvolutionBackwardDataAlgorithm(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int requested, out int returned, CudnnAlgoPerf* results);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnConvolutionBackwardData(nint handle, float* alpha, nint wDesc, ulong w, nint dyDesc, ulong dy, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint dxDesc, ulong dx);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnGetConvolutionBackwardDataWorkspaceSize(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int algo, out nuint bytes);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnGetConvolutionBackwardFilterAlgorithm_v7(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int requested, out int returned, CudnnAlgoPerf* results);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnFindConvolutionBackwardFilterAlgorithm(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int requested, out int returned, CudnnAlgoPerf* results);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnConvolutionBackwardFilter(nint handle, float* alpha, nint xDesc, ulong x, nint dyDesc, ulong dy, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint dwDesc, ulong dw);
    [LibraryImport(NativeLibraries.Cudnn)]
    public static partial int cudnnGetConvolutionBackwardFilterWorkspaceSize(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int algo, out nuint bytes);
}
