using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Tests.Support;

namespace Reel.Tests.Ops;

/// <summary>Reported as skipped, not passed, on a CPU without AVX-512.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!Avx512F.IsSupported) Skip = "this CPU has no AVX-512, so the wide SGEMM kernel cannot run";
    }
}

/// <summary>
/// The two SGEMM micro-kernels: each output must be exactly one fused multiply-add chain over k
/// in order (what makes the AVX-512 and AVX2 builds agree bit for bit, and lets a depth range be
/// split across calls), checked against a scalar <see cref="MathF.FusedMultiplyAdd"/> chain.
/// </summary>
public class SgemmTests
{
    private const int M = 24, N = 64, K = 101; // M and N multiples of both kernels' tiles

    private delegate void Kernel(IntPtr a, IntPtr b, IntPtr offsets, int k, IntPtr c, int ldc, bool accumulate);

    [Fact]
    public void NarrowKernelIsOneFmaChainPerOutput() => CheckKernel(6, 16, TileNarrow);

    /// <summary>
    /// The 8×32 kernel: on a CPU without AVX-512 .NET emulates its Vector512 operations (the fused
    /// multiply-add as one rounding too), so it runs, and is checked, everywhere.
    /// </summary>
    [Fact]
    public void WideKernelIsOneFmaChainPerOutput() => CheckKernel(8, 32, TileWide);

    /// <summary>The whole conv stack without AVX-512 (as on an AVX2-only CPU) writes the same bits.</summary>
    [Avx512Fact]
    public void InferenceIsBitIdenticalWithoutAvx512()
    {
        var dir = TestPaths.NewTempDir();
        string Infer(string model, string weights, string input, bool narrow)
        {
            var output = Path.Combine(dir, $"{model}-{narrow}.npy");
            var env = new Dictionary<string, string>();
            if (narrow) env["DOTNET_EnableAVX512F"] = "0";
            var golden = model == "dncnn" ? Golden.Dncnn : Golden.Dvp;
            var r = ReelProcess.RunWithEnvironment(env, "infer", "--model", model, "--weights", golden.File(weights),
                "--input", golden.File(input), "--output", output);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return output;
        }
        foreach (var (model, weights, input) in new[] { ("dncnn", "saoyan_b20_legacy.pth", "saoyan_b20_legacy_x.npy"), ("unet", "dvp_init.pth", "dvp_input.npy") })
        {
            var wide = Npy.Read(Infer(model, weights, input, narrow: false));
            var narrow = Npy.Read(Infer(model, weights, input, narrow: true));
            Assert.Equal(wide.Shape, narrow.Shape);
            for (int i = 0; i < wide.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(wide.Data[i]) == BitConverter.SingleToInt32Bits(narrow.Data[i]),
                    $"{model}: element {i} is {narrow.Data[i]:R} without AVX-512, {wide.Data[i]:R} with it");
        }
    }

    private static unsafe void TileNarrow(IntPtr a, IntPtr b, IntPtr o, int k, IntPtr c, int ldc, bool acc) =>
        Sgemm.Tile<Avx2Width, Vector256<float>>((float*)a, (float*)b, (int*)o, k, (float*)c, ldc, acc);

    private static unsafe void TileWide(IntPtr a, IntPtr b, IntPtr o, int k, IntPtr c, int ldc, bool acc) =>
        Sgemm.Tile<Avx512Width, Vector512<float>>((float*)a, (float*)b, (int*)o, k, (float*)c, ldc, acc);

    private static unsafe void CheckKernel(int mr, int nr, Kernel kernel)
    {
        var rng = new Random(7);
        var a = new float[M * K];
        var b = new float[K * N];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
        var packed = new float[M * K];
        for (int row = 0; row < M; row++)
        for (int col = 0; col < K; col++)
            packed[(row / mr * K + col) * mr + row % mr] = a[row * K + col];
        var offsets = Enumerable.Range(0, K).Select(k => k * N).ToArray();

        var whole = new float[M * N];
        var split = new float[M * N];
        const int firstPart = 37;
        fixed (float* pa = packed)
        fixed (float* pb = b)
        fixed (int* po = offsets)
        fixed (float* pw = whole)
        fixed (float* ps = split)
        {
            for (int mb = 0; mb < M / mr; mb++)
            for (int n0 = 0; n0 < N; n0 += nr)
            {
                float* panel = pa + mb * K * mr;
                kernel((IntPtr)panel, (IntPtr)(pb + n0), (IntPtr)po, K, (IntPtr)(pw + mb * mr * N + n0), N, false);
                kernel((IntPtr)panel, (IntPtr)(pb + n0), (IntPtr)po, firstPart, (IntPtr)(ps + mb * mr * N + n0), N, false);
                kernel((IntPtr)(panel + firstPart * mr), (IntPtr)(pb + n0), (IntPtr)(po + firstPart), K - firstPart,
                    (IntPtr)(ps + mb * mr * N + n0), N, true);
            }
        }
        for (int row = 0; row < M; row++)
        for (int col = 0; col < N; col++)
        {
            float chain = 0;
            for (int k = 0; k < K; k++) chain = MathF.FusedMultiplyAdd(a[row * K + k], b[k * N + col], chain);
            Assert.True(BitConverter.SingleToInt32Bits(chain) == BitConverter.SingleToInt32Bits(whole[row * N + col]),
                $"{mr}×{nr} kernel, C[{row},{col}] = {whole[row * N + col]:R}, the FMA chain gives {chain:R}");
            Assert.True(BitConverter.SingleToInt32Bits(chain) == BitConverter.SingleToInt32Bits(split[row * N + col]),
                $"{mr}×{nr} kernel, depth split {firstPart}+{K - firstPart}: C[{row},{col}] = {split[row * N + col]:R}, the chain gives {chain:R}");
        }
    }
}
