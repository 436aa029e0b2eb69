using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>cuBLAS v2 (cublas_api.h): the GEMM behind 1×1 convolutions (the colorizer's 313→2 head and the U-Net's output).</summary>
// SAFETY: declarations of cuBLAS's entry points; every pointer passed is sized by its caller for what the
// header says the call reads or writes, and each call site states that bound.
internal static unsafe partial class Cublas
{
    static Cublas() => NativeLibraries.EnsureResolver();

    public const int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
    public const int CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3;
    // cudaDataType_t / cublasComputeType_t for cublasGemmEx.
    public const int CUDA_R_32F = 0, CUDA_R_16F = 2;
    public const int CUBLAS_COMPUTE_32F = 68;
    public const int CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99;

    [LibraryImport(NativeLibraries.Cublas, EntryPoint = "cublasCreate_v2")] public static partial int cublasCreate(out nint handle);
    [LibraryImport(NativeLibraries.Cublas, EntryPoint = "cublasDestroy_v2")] public static partial int cublasDestroy(nint handle);
    [LibraryImport(NativeLibraries.Cublas, EntryPoint = "cublasSetStream_v2")] public static partial int cublasSetStream(nint handle, nint stream);
    [LibraryImport(NativeLibraries.Cublas)] public static partial int cublasSetMathMode(nint handle, int mode);
    [LibraryImport(NativeLibraries.Cublas, EntryPoint = "cublasSgemm_v2")]
    public static partial int cublasSgemm(nint handle, int transA, int transB, int m, int n, int k, float* alpha, ulong a, int lda, ulong b, int ldb,
        float* beta, ulong c, int ldc);
    [LibraryImport(NativeLibraries.Cublas)]
    public static partial int cublasGemmEx(nint handle, int transA, int transB, int m, int n, int k, void* alpha, ulong a, int aType, int lda,
        ulong b, int bType, int ldb, void* beta, ulong c, int cType, int ldc, int computeType, int algo);
    [LibraryImport(NativeLibraries.Cublas)] public static partial byte* cublasGetStatusString(int status);

    public static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == 0) return;
        string message;
        try
        {
            // SAFETY: cuBLAS returns a static NUL-terminated string (or NULL, read as null) that the library owns.
            message = Marshal.PtrToStringUTF8((nint)cublasGetStatusString(status)) ?? "cuBLAS error";
        }
        catch (EntryPointNotFoundException)
        {
            message = "cuBLAS error"; // cublasGetStatusString is 11.4.2+
        }
        throw new CudaException(Driver.CallName(call), status, message);
    }
}
