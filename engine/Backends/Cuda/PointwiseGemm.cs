using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Arguments of one column-major GEMM C = op(A)·op(B) (cuBLAS's convention): sizes, leading
/// dimensions and whether A/B are transposed. <see cref="PointwiseConv"/> maps a 1×1
/// convolution on one NCHW frame onto it without moving data.
/// </summary>
public readonly record struct GemmPlan(bool TransA, bool TransB, int M, int N, int K, int Lda, int Ldb, int Ldc)
{
    /// <summary>
    /// y (Cout, HW) = w (Cout, Cin) · x (Cin, HW) in row-major is, read column-major,
    /// yᵀ (HW × Cout) = xᵀ (HW × Cin) · wᵀ (Cin × Cout): A = x with lda = HW, B = w with
    /// ldb = Cin, C = y with ldc = HW, no transposes.
    /// </summary>
    public static GemmPlan PointwiseConv(int inChannels, int outChannels, int hw) =>
        new(false, false, hw, outChannels, inChannels, hw, inChannels, hw);
}

/// <summary>1×1 convolutions through cuBLAS (the colorizer's 256→313 layer, the U-Net's output layer).</summary>
public sealed unsafe class CublasPointwise : IDisposable
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
        for (int n = 0; n < frames; n++)
            Cublas.Check(Cublas.cublasSgemm(_handle.Value, g.TransA ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N, g.TransB ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N,
                g.M, g.N, g.K, &one, x.Plus<float>((long)n * inChannels * hw).Address, g.Lda, w.Address, g.Ldb, &zero,
                y.Plus<float>((long)n * outChannels * hw).Address, g.Ldc));
    }

    public void Dispose() => _handle.Dispose();
}
