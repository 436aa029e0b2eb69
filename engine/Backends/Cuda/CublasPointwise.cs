using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Engine.Backends.Cuda;

/// <summary>1×1 convolutions through cuBLAS (the colorizer's 256→313 layer, the U-Net's output layer).</summary>
// SAFETY: the one raw access is Run's alpha/beta pointers (below).
internal sealed unsafe class CublasPointwise : IDisposable
{
    private readonly NativeHandle _handle;

    public CublasPointwise()
    {
        if (!NativeLibraries.TryLoad(NativeLibraries.Cublas, out _, out var error)) throw new ReelException($"cuBLAS is not installed: {error}");
        Cublas.Check(Cublas.cublasCreate(out var h));
        _handle = new NativeHandle(h, Cublas.cublasDestroy, "cublasHandle");
        if (Environment.GetEnvironmentVariable("REEL_CUDNN_FP32") != "1") Cublas.Check(Cublas.cublasSetMathMode(h, Cublas.CUBLAS_TF32_TENSOR_OP_MATH));
    }

    /// <summary>y (N, Cout, HW) = w · x per frame; bias and activation are left to the epilogue kernel.</summary>
    public void Run(DevicePtr x, DevicePtr w, DevicePtr y, int frames, int inChannels, int outChannels, int hw, GpuStream? stream = null)
    {
        var g = GemmPlan.PointwiseConv(inChannels, outChannels, hw);
        Cublas.Check(Cublas.cublasSetStream(_handle.Value, stream?.Handle ?? 0));
        float one = 1, zero = 0;
        // SAFETY: &one and &zero are locals that outlive each call; frame n's x and y start n frames into
        // buffers the caller sized for `frames` (N, C, HW) frames.
        for (int n = 0; n < frames; n++)
            Cublas.Check(Cublas.cublasSgemm(_handle.Value, g.TransA ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N, g.TransB ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N,
                g.M, g.N, g.K, &one, x.Plus<float>((long)n * inChannels * hw).Address, g.Lda, w.Address, g.Ldb, &zero,
                y.Plus<float>((long)n * outChannels * hw).Address, g.Ldc));
    }

    public void Dispose() => _handle.Dispose();
}
