namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Arguments of one column-major GEMM C = op(A)·op(B) (cuBLAS's convention): sizes, leading
/// dimensions and whether A/B are transposed. <see cref="PointwiseConv"/> maps a 1×1
/// convolution on one NCHW frame onto it without moving data.
/// </summary>
internal readonly record struct GemmPlan(bool TransA, bool TransB, int M, int N, int K, int Lda, int Ldb, int Ldc)
{
    /// <summary>
    /// y (Cout, HW) = w (Cout, Cin) · x (Cin, HW) in row-major is, read column-major,
    /// yᵀ (HW × Cout) = xᵀ (HW × Cin) · wᵀ (Cin × Cout): A = x with lda = HW, B = w with
    /// ldb = Cin, C = y with ldc = HW, no transposes.
    /// </summary>
    public static GemmPlan PointwiseConv(int inChannels, int outChannels, int hw) =>
        new(false, false, hw, outChannels, inChannels, hw, inChannels, hw);
}
