using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The register-blocked SGEMM core shared by the convolution paths: C[MR × NR] = A · B for one
/// tile, with A packed in panels of <see cref="MR"/> rows and each row k of B found at
/// <c>b + offsets[k]</c> (so B may be a dense matrix, an im2col buffer or shifted views of a
/// padded image). 6×16 = 12 AVX2 accumulators, two B loads and six broadcasts per k.
/// </summary>
internal static unsafe class Sgemm
{
    public const int MR = 6;
    public const int NR = 16;

    /// <summary>Packs the M × K matrix given by <paramref name="element"/> into (ceil(M/MR), K, MR) panels, zero-padded.</summary>
    public static float[] PackA(int m, int k, Func<int, int, float> element)
    {
        int blocks = (m + MR - 1) / MR;
        var packed = new float[blocks * k * MR];
        for (int row = 0; row < m; row++)
        for (int col = 0; col < k; col++)
            packed[(row / MR * k + col) * MR + row % MR] = element(row, col);
        return packed;
    }

    /// <summary>One MR × NR tile over the full depth <paramref name="k"/>, written row-major to <paramref name="tile"/>.</summary>
    public static void Tile(float* a, float* b, int* offsets, int k, float* tile) => Tile(a, b, offsets, k, tile, NR);

    /// <summary>As <see cref="Tile(float*, float*, int*, int, float*)"/>, rows of the result <paramref name="ldc"/> floats apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(float* a, float* b, int* offsets, int k, float* tile, int ldc)
    {
        var c00 = Vector256<float>.Zero; var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero; var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero; var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero; var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero; var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero; var c51 = Vector256<float>.Zero;
        for (int i = 0; i < k; i++)
        {
            float* bp = b + offsets[i];
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var av = Vector256.Create(a[0]); c00 = Fmadd(av, b0, c00); c01 = Fmadd(av, b1, c01);
            av = Vector256.Create(a[1]); c10 = Fmadd(av, b0, c10); c11 = Fmadd(av, b1, c11);
            av = Vector256.Create(a[2]); c20 = Fmadd(av, b0, c20); c21 = Fmadd(av, b1, c21);
            av = Vector256.Create(a[3]); c30 = Fmadd(av, b0, c30); c31 = Fmadd(av, b1, c31);
            av = Vector256.Create(a[4]); c40 = Fmadd(av, b0, c40); c41 = Fmadd(av, b1, c41);
            av = Vector256.Create(a[5]); c50 = Fmadd(av, b0, c50); c51 = Fmadd(av, b1, c51);
            a += MR;
        }
        c00.Store(tile); c01.Store(tile + 8); tile += ldc;
        c10.Store(tile); c11.Store(tile + 8); tile += ldc;
        c20.Store(tile); c21.Store(tile + 8); tile += ldc;
        c30.Store(tile); c31.Store(tile + 8); tile += ldc;
        c40.Store(tile); c41.Store(tile + 8); tile += ldc;
        c50.Store(tile); c51.Store(tile + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fmadd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
}
