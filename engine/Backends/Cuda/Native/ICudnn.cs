namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>
/// The cuDNN legacy calls <see cref="CudnnConvolutions"/> makes, each named as cuDNN names it less its
/// "cudnn" prefix and taking what the C function takes, status returned: on a GPU the library itself
/// (<see cref="NativeCudnn"/>); on the emulated device Reel.Emulation's EmulatedCudnn, which holds each
/// call to cuDNN's documented rules and computes it on the host in the emulator's stream order, so the
/// plans, layouts, precisions and workspaces that drive cuDNN run in the tests.
/// </summary>
// SAFETY: the pointers are those of the C API: alpha/beta scalars and the algorithm lists, each sized by the caller.
internal unsafe interface ICudnn
{
    /// <summary>cudnnGetVersion: major × 10000 + minor × 100 + patch.</summary>
    long Version { get; }

    /// <summary>cudnnGetErrorString.</summary>
    string ErrorString(int status);

    int Create(out nint handle);
    int Destroy(nint handle);
    int SetStream(nint handle, nint stream);

    int CreateTensorDescriptor(out nint desc);
    int SetTensor4dDescriptor(nint desc, int format, int dataType, int n, int c, int h, int w);
    int DestroyTensorDescriptor(nint desc);
    int CreateFilterDescriptor(out nint desc);
    int SetFilter4dDescriptor(nint desc, int dataType, int format, int k, int c, int h, int w);
    int DestroyFilterDescriptor(nint desc);
    int CreateConvolutionDescriptor(out nint desc);
    int SetConvolution2dDescriptor(nint desc, int padH, int padW, int strideH, int strideW, int dilationH, int dilationW, int mode, int computeType);
    int SetConvolutionMathType(nint desc, int mathType);
    int DestroyConvolutionDescriptor(nint desc);
    int CreateActivationDescriptor(out nint desc);
    int SetActivationDescriptor(nint desc, int mode, int nanPropagation, double coef);
    int DestroyActivationDescriptor(nint desc);

    int FindConvolutionForwardAlgorithm(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results);
    int GetConvolutionForwardAlgorithm_v7(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results);
    int ConvolutionForward(nint handle, float* alpha, nint xDesc, ulong x, nint wDesc, ulong w, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint yDesc, ulong y);
    int ConvolutionBiasActivationForward(nint handle, float* alpha1, nint xDesc, ulong x, nint wDesc, ulong w, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* alpha2, nint zDesc, ulong z, nint biasDesc, ulong bias, nint activation, nint yDesc, ulong y);
    int GetConvolutionForwardWorkspaceSize(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int algo, out nuint bytes);

    int FindConvolutionBackwardDataAlgorithm(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int requested, out int returned, CudnnAlgoPerf* results);
    int GetConvolutionBackwardDataAlgorithm_v7(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int requested, out int returned, CudnnAlgoPerf* results);
    int ConvolutionBackwardData(nint handle, float* alpha, nint wDesc, ulong w, nint dyDesc, ulong dy, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint dxDesc, ulong dx);
    int GetConvolutionBackwardDataWorkspaceSize(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int algo, out nuint bytes);

    int FindConvolutionBackwardFilterAlgorithm(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int requested, out int returned, CudnnAlgoPerf* results);
    int GetConvolutionBackwardFilterAlgorithm_v7(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int requested, out int returned, CudnnAlgoPerf* results);
    int ConvolutionBackwardFilter(nint handle, float* alpha, nint xDesc, ulong x, nint dyDesc, ulong dy, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint dwDesc, ulong dw);
    int GetConvolutionBackwardFilterWorkspaceSize(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int algo, out nuint bytes);
}

/// <summary>The installed cuDNN (its loading checked once, with the reason when it is missing).</summary>
// SAFETY: forwards each call's pointers to cuDNN unchanged; the bounds are the caller's, as ICudnn says.
internal sealed unsafe class NativeCudnn : ICudnn
{
    public NativeCudnn()
    {
        if (!NativeLibraries.TryLoad(NativeLibraries.Cudnn, out _, out var error))
            throw new ReelException($"cuDNN is not installed: {error}");
        Version = (long)Cudnn.cudnnGetVersion();
    }

    public long Version { get; }

    // SAFETY: cuDNN returns a static NUL-terminated string (or NULL, read as null) that the library owns.
    public string ErrorString(int status) => System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)Cudnn.cudnnGetErrorString(status)) ?? "cuDNN error";

    public int Create(out nint handle) => Cudnn.cudnnCreate(out handle);
    public int Destroy(nint handle) => Cudnn.cudnnDestroy(handle);
    public int SetStream(nint handle, nint stream) => Cudnn.cudnnSetStream(handle, stream);

    public int CreateTensorDescriptor(out nint desc) => Cudnn.cudnnCreateTensorDescriptor(out desc);
    public int SetTensor4dDescriptor(nint desc, int format, int dataType, int n, int c, int h, int w) => Cudnn.cudnnSetTensor4dDescriptor(desc, format, dataType, n, c, h, w);
    public int DestroyTensorDescriptor(nint desc) => Cudnn.cudnnDestroyTensorDescriptor(desc);
    public int CreateFilterDescriptor(out nint desc) => Cudnn.cudnnCreateFilterDescriptor(out desc);
    public int SetFilter4dDescriptor(nint desc, int dataType, int format, int k, int c, int h, int w) => Cudnn.cudnnSetFilter4dDescriptor(desc, dataType, format, k, c, h, w);
    public int DestroyFilterDescriptor(nint desc) => Cudnn.cudnnDestroyFilterDescriptor(desc);
    public int CreateConvolutionDescriptor(out nint desc) => Cudnn.cudnnCreateConvolutionDescriptor(out desc);
    public int SetConvolution2dDescriptor(nint desc, int padH, int padW, int strideH, int strideW, int dilationH, int dilationW, int mode, int computeType) =>
        Cudnn.cudnnSetConvolution2dDescriptor(desc, padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType);
    public int SetConvolutionMathType(nint desc, int mathType) => Cudnn.cudnnSetConvolutionMathType(desc, mathType);
    public int DestroyConvolutionDescriptor(nint desc) => Cudnn.cudnnDestroyConvolutionDescriptor(desc);
    public int CreateActivationDescriptor(out nint desc) => Cudnn.cudnnCreateActivationDescriptor(out desc);
    public int SetActivationDescriptor(nint desc, int mode, int nanPropagation, double coef) => Cudnn.cudnnSetActivationDescriptor(desc, mode, nanPropagation, coef);
    public int DestroyActivationDescriptor(nint desc) => Cudnn.cudnnDestroyActivationDescriptor(desc);

    public int FindConvolutionForwardAlgorithm(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Cudnn.cudnnFindConvolutionForwardAlgorithm(handle, xDesc, wDesc, conv, yDesc, requested, out returned, results);
    public int GetConvolutionForwardAlgorithm_v7(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, xDesc, wDesc, conv, yDesc, requested, out returned, results);
    public int ConvolutionForward(nint handle, float* alpha, nint xDesc, ulong x, nint wDesc, ulong w, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint yDesc, ulong y) =>
        Cudnn.cudnnConvolutionForward(handle, alpha, xDesc, x, wDesc, w, conv, algo, workspace, workspaceBytes, beta, yDesc, y);
    public int ConvolutionBiasActivationForward(nint handle, float* alpha1, nint xDesc, ulong x, nint wDesc, ulong w, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* alpha2, nint zDesc, ulong z, nint biasDesc, ulong bias, nint activation, nint yDesc, ulong y) =>
        Cudnn.cudnnConvolutionBiasActivationForward(handle, alpha1, xDesc, x, wDesc, w, conv, algo, workspace, workspaceBytes, alpha2, zDesc, z, biasDesc, bias, activation, yDesc, y);
    public int GetConvolutionForwardWorkspaceSize(nint handle, nint xDesc, nint wDesc, nint conv, nint yDesc, int algo, out nuint bytes) =>
        Cudnn.cudnnGetConvolutionForwardWorkspaceSize(handle, xDesc, wDesc, conv, yDesc, algo, out bytes);

    public int FindConvolutionBackwardDataAlgorithm(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Cudnn.cudnnFindConvolutionBackwardDataAlgorithm(handle, wDesc, dyDesc, conv, dxDesc, requested, out returned, results);
    public int GetConvolutionBackwardDataAlgorithm_v7(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, wDesc, dyDesc, conv, dxDesc, requested, out returned, results);
    public int ConvolutionBackwardData(nint handle, float* alpha, nint wDesc, ulong w, nint dyDesc, ulong dy, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint dxDesc, ulong dx) =>
        Cudnn.cudnnConvolutionBackwardData(handle, alpha, wDesc, w, dyDesc, dy, conv, algo, workspace, workspaceBytes, beta, dxDesc, dx);
    public int GetConvolutionBackwardDataWorkspaceSize(nint handle, nint wDesc, nint dyDesc, nint conv, nint dxDesc, int algo, out nuint bytes) =>
        Cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(handle, wDesc, dyDesc, conv, dxDesc, algo, out bytes);

    public int FindConvolutionBackwardFilterAlgorithm(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Cudnn.cudnnFindConvolutionBackwardFilterAlgorithm(handle, xDesc, dyDesc, conv, dwDesc, requested, out returned, results);
    public int GetConvolutionBackwardFilterAlgorithm_v7(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int requested, out int returned, CudnnAlgoPerf* results) =>
        Cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, xDesc, dyDesc, conv, dwDesc, requested, out returned, results);
    public int ConvolutionBackwardFilter(nint handle, float* alpha, nint xDesc, ulong x, nint dyDesc, ulong dy, nint conv, int algo,
        ulong workspace, nuint workspaceBytes, float* beta, nint dwDesc, ulong dw) =>
        Cudnn.cudnnConvolutionBackwardFilter(handle, alpha, xDesc, x, dyDesc, dy, conv, algo, workspace, workspaceBytes, beta, dwDesc, dw);
    public int GetConvolutionBackwardFilterWorkspaceSize(nint handle, nint xDesc, nint dyDesc, nint conv, nint dwDesc, int algo, out nuint bytes) =>
        Cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, xDesc, dyDesc, conv, dwDesc, algo, out bytes);
}
