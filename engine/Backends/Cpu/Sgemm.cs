using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The register-blocked SGEMM core shared by the convolution paths: C[MR × NR] = A · B for one
/// tile, with A packed in panels of <see cref="MR"/> rows and each row k of B found at
/// <c>b + offsets[k]</c> (so B may be a dense matrix, an im2col buffer or shifted views of a
/// padded image). Two micro-kernels, chosen once per process:
/// <list type="bullet">
/// <item>AVX-512 (where .NET accelerates Vector512): 8×32, 16 zmm accumulators, two B loads and
/// eight broadcasts per k. MR = 8 divides every channel count of the U-Net and DnCNN, NR = 32
/// the channel groups of the weight gradient; measured at the FMA peak (≈ 130 GFLOP/s per core
/// here) while its B panel stays in L1.</item>
/// <item>AVX2: 6×16, 12 ymm accumulators, two B loads and six broadcasts per k.</item>
/// </list>
/// Each output is one fused multiply-add chain over k in order, whichever kernel runs, so the
/// two give the same bits and a K range split across calls (<c>accumulate</c>) gives the same
/// bits as one call. <c>DOTNET_EnableAVX512F=0</c> makes .NET, and so this class, use AVX2.
/// </summary>
// SAFETY: PackA's pointers stay in arrays it pins and checks; Tile's are the caller's, whose contract its summary states.
internal static unsafe class Sgemm
{
    /// <summary>Whether the AVX-512 kernel runs.</summary>
    public static readonly bool Wide = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
    /// <summary>Rows of a tile (output channels).</summary>
    public static readonly int MR = Wide ? 8 : 6;
    /// <summary>Columns of a tile (pixels, or input channels for the weight gradient).</summary>
    public static readonly int NR = Wide ? 32 : 16;

    /// <summary>Packs the M × K matrix given by <paramref name="element"/> into (ceil(M/MR), K, MR) panels, zero-padded.</summary>
    public static float[] PackA(int m, int k, Func<int, int, float> element)
    {
        int mr = MR, blocks = (m + mr - 1) / mr;
        var packed = new float[blocks * k * mr];
        for (int row = 0; row < m; row++)
        for (int col = 0; col < k; col++)
            packed[(row / mr * k + col) * mr + row % mr] = element(row, col);
        return packed;
    }

    /// <summary>
    /// Packs the row-major M × K matrix <paramref name="src"/> into (ceil(M/MR), K, MR) panels,
    /// zero-padded. The buffer comes from the open <see cref="TensorArena"/> if any (training
    /// prepares every conv afresh each step), so an op prepared inside a scope lives only as long.
    /// </summary>
    public static float[] PackA(float[] src, int m, int k) => PackA(src, m, k, flippedTaps: 0);

    /// <summary>
    /// Packs the weights of the convolution that gives ∂L/∂x of a stride-1 conv with weights
    /// <paramref name="w"/> (Cout, Cin, taps): as <see cref="PackA(float[], int, int)"/> would pack the
    /// Cin × (Cout·taps) matrix of w transposed in its channels and rotated 180° in its taps, read
    /// straight from w with no rotated copy in between.
    /// </summary>
    public static float[] PackTransposedFlipped(float[] w, int cout, int cin, int taps) => PackA(w, cin, cout * taps, taps);

    /// <summary>With <paramref name="flippedTaps"/> &gt; 0, src is (Cout, M, taps) and is read as <see cref="PackTransposedFlipped"/> says.</summary>
    private static float[] PackA(float[] src, int m, int k, int flippedTaps)
    {
        int mr = MR, blocks = (m + mr - 1) / mr;
        if ((long)m * k > src.Length) throw new ArgumentException($"{src.Length} floats cannot hold a {m} × {k} matrix");
        // Only a partial last panel has rows that nothing writes.
        var packed = TensorArena.Allocate(blocks * k * mr, clear: m % mr != 0);
        if (flippedTaps > 0)
        {
            // Column co·taps + t of row i is w[co, i, taps − 1 − t], so for one co a panel's rows are one
            // contiguous run of MR × taps floats of w, and a range of panels one longer run: each
            // thread walks w[co] over its own panels' rows, reading in order, and writes each panel's
            // stretch for that co (by panel, w would be read in 288-byte runs 18 KiB apart, which the
            // prefetchers miss, and the pack would wait on memory latency).
            int taps = flippedTaps, parts = Math.Min(blocks, Environment.ProcessorCount);
            // SAFETY: src holds k / taps planes of m rows × taps (checked above); a panel's run for co is its
            // rows' taps, and the 8 × 8 transpose reads taps 1…8 of 8 rows of it; panel (block, co) is taps × MR floats of packed.
            Debug.Assert(k % taps == 0 && packed.Length >= blocks * k * mr);
            Parallel.For(0, parts, part =>
            {
                int first = blocks * part / parts, end = blocks * (part + 1) / parts;
                fixed (float* from = src)
                fixed (float* to = packed)
                    for (int co = 0; co < k / taps; co++)
                    for (int block = first; block < end; block++)
                    {
                        int rows = Math.Min(mr, m - block * mr);
                        float* run = from + ((long)co * m + block * mr) * taps;
                        float* dst = to + (long)block * k * mr + (long)co * taps * mr;
                        if (rows == 8 && taps == 9 && Avx.IsSupported)
                        {
                            // Taps 1…8 of the 8 rows are an 8 × 8 block: transposed, vector j holds tap
                            // 1 + j of every row, which goes to column 7 − j; tap 0 to column 8.
                            Transpose8x8(run + 1, taps, dst + 7 * 8, -8);
                            for (int r = 0; r < 8; r++) dst[64 + r] = run[r * 9];
                            continue;
                        }
                        for (int t = 0; t < taps; t++)
                        for (int r = 0; r < rows; r++)
                            dst[t * mr + r] = run[r * taps + taps - 1 - t];
                    }
            });
            return packed;
        }
        // Each panel is written front to back once, its MR source rows read side by side: the
        // panels of the larger layers (150 KiB) outgrow L1, so a row-by-row pass, which writes
        // every MR-th float of the whole panel, would bring each line in MR times.
        // SAFETY: a panel's rows are rows of src below m (checked above), its 8 × 8 transposes read columns
        // [col, col + 8) ≤ k of them, and it writes its own k × MR floats of packed.
        Debug.Assert(packed.Length >= blocks * k * mr);
        Parallel.For(0, blocks, block =>
        {
            int rows = Math.Min(mr, m - block * mr);
            fixed (float* from = src)
            fixed (float* to = packed)
            {
                float* panel = to + (long)block * k * mr;
                float* first = from + (long)block * mr * k;
                int col = 0;
                if (rows == 8 && Avx.IsSupported)
                    for (; col + 8 <= k; col += 8)
                        Transpose8x8(first + col, k, panel + col * 8, 8);
                for (; col < k; col++)
                for (int r = 0; r < rows; r++)
                    panel[col * mr + r] = first[(long)r * k + col];
            }
        });
        return packed;
    }

    /// <summary>
    /// Row r of the 8 × 8 block at <paramref name="src"/> (rows <paramref name="ld"/> floats apart)
    /// becomes lane r of the 8 vectors stored at dst, dst + step, …, dst + 7·step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(float* src, int ld, float* dst, int step)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + ld);
        var r2 = Avx.LoadVector256(src + 2L * ld);
        var r3 = Avx.LoadVector256(src + 3L * ld);
        var r4 = Avx.LoadVector256(src + 4L * ld);
        var r5 = Avx.LoadVector256(src + 5L * ld);
        var r6 = Avx.LoadVector256(src + 6L * ld);
        var r7 = Avx.LoadVector256(src + 7L * ld);
        // Pairs of rows interleaved, then quadruples, then the 128-bit halves swapped across.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var q0 = Avx.Shuffle(t0, t2, 0x44); var q1 = Avx.Shuffle(t0, t2, 0xEE);
        var q2 = Avx.Shuffle(t1, t3, 0x44); var q3 = Avx.Shuffle(t1, t3, 0xEE);
        var q4 = Avx.Shuffle(t4, t6, 0x44); var q5 = Avx.Shuffle(t4, t6, 0xEE);
        var q6 = Avx.Shuffle(t5, t7, 0x44); var q7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(q0, q4, 0x20));
        Avx.Store(dst + step, Avx.Permute2x128(q1, q5, 0x20));
        Avx.Store(dst + 2L * step, Avx.Permute2x128(q2, q6, 0x20));
        Avx.Store(dst + 3L * step, Avx.Permute2x128(q3, q7, 0x20));
        Avx.Store(dst + 4L * step, Avx.Permute2x128(q0, q4, 0x31));
        Avx.Store(dst + 5L * step, Avx.Permute2x128(q1, q5, 0x31));
        Avx.Store(dst + 6L * step, Avx.Permute2x128(q2, q6, 0x31));
        Avx.Store(dst + 7L * step, Avx.Permute2x128(q3, q7, 0x31));
    }

    /// <summary>
    /// One MR × NR tile over the full depth <paramref name="k"/>, written row-major to <paramref name="tile"/>.
    /// The caller guarantees a holds k × MR floats, b + offsets[i] NR floats for every i &lt; k, and tile MR × NR.
    /// </summary>
    public static void Tile(float* a, float* b, int* offsets, int k, float* tile) => Tile(a, b, offsets, k, tile, NR);

    /// <summary>As <see cref="Tile(float*, float*, int*, int, float*)"/>, rows of the result <paramref name="ldc"/> floats apart (MR rows of NR floats).</summary>
    public static void Tile(float* a, float* b, int* offsets, int k, float* tile, int ldc, bool accumulate = false)
    {
        if (Wide) Tile<Avx512Width, Vector512<float>>(a, b, offsets, k, tile, ldc, accumulate);
        else Tile<Avx2Width, Vector256<float>>(a, b, offsets, k, tile, ldc, accumulate);
    }

    /// <summary>
    /// The micro-kernel at one width (8×32 for AVX-512, 6×16 for AVX2; the tests run either): mr × 2 vectors of accumulators (8 × 2 zmm of 32, or 6 × 2 ymm of
    /// 16 with the two operands and the broadcast), two B loads and mr broadcasts per k. The rows past
    /// six exist only in the wide instantiation: mr is a constant there and the branches fold.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile<TWidth, TVec>(float* a, float* b, int* offsets, int k, float* tile, int ldc, bool accumulate)
        where TWidth : struct, ISimdWidth<TVec> where TVec : struct
    {
        int n = TWidth.Count, mr = n == 16 ? 8 : 6;
        TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60 = default, c61 = default, c70 = default, c71 = default;
        if (accumulate)
        {
            float* t = tile;
            c00 = TWidth.Load(t); c01 = TWidth.Load(t + n); t += ldc;
            c10 = TWidth.Load(t); c11 = TWidth.Load(t + n); t += ldc;
            c20 = TWidth.Load(t); c21 = TWidth.Load(t + n); t += ldc;
            c30 = TWidth.Load(t); c31 = TWidth.Load(t + n); t += ldc;
            c40 = TWidth.Load(t); c41 = TWidth.Load(t + n); t += ldc;
            c50 = TWidth.Load(t); c51 = TWidth.Load(t + n);
            if (mr == 8)
            {
                t += ldc;
                c60 = TWidth.Load(t); c61 = TWidth.Load(t + n); t += ldc;
                c70 = TWidth.Load(t); c71 = TWidth.Load(t + n);
            }
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = TWidth.Zero;
            c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = TWidth.Zero;
        }
        for (int i = 0; i < k; i++)
        {
            float* bp = b + offsets[i];
            var b0 = TWidth.Load(bp);
            var b1 = TWidth.Load(bp + n);
            var av = TWidth.Broadcast(a[0]); c00 = TWidth.MultiplyAdd(av, b0, c00); c01 = TWidth.MultiplyAdd(av, b1, c01);
            av = TWidth.Broadcast(a[1]); c10 = TWidth.MultiplyAdd(av, b0, c10); c11 = TWidth.MultiplyAdd(av, b1, c11);
            av = TWidth.Broadcast(a[2]); c20 = TWidth.MultiplyAdd(av, b0, c20); c21 = TWidth.MultiplyAdd(av, b1, c21);
            av = TWidth.Broadcast(a[3]); c30 = TWidth.MultiplyAdd(av, b0, c30); c31 = TWidth.MultiplyAdd(av, b1, c31);
            av = TWidth.Broadcast(a[4]); c40 = TWidth.MultiplyAdd(av, b0, c40); c41 = TWidth.MultiplyAdd(av, b1, c41);
            av = TWidth.Broadcast(a[5]); c50 = TWidth.MultiplyAdd(av, b0, c50); c51 = TWidth.MultiplyAdd(av, b1, c51);
            if (mr == 8)
            {
                av = TWidth.Broadcast(a[6]); c60 = TWidth.MultiplyAdd(av, b0, c60); c61 = TWidth.MultiplyAdd(av, b1, c61);
                av = TWidth.Broadcast(a[7]); c70 = TWidth.MultiplyAdd(av, b0, c70); c71 = TWidth.MultiplyAdd(av, b1, c71);
            }
            a += mr;
        }
        TWidth.Store(c00, tile); TWidth.Store(c01, tile + n); tile += ldc;
        TWidth.Store(c10, tile); TWidth.Store(c11, tile + n); tile += ldc;
        TWidth.Store(c20, tile); TWidth.Store(c21, tile + n); tile += ldc;
        TWidth.Store(c30, tile); TWidth.Store(c31, tile + n); tile += ldc;
        TWidth.Store(c40, tile); TWidth.Store(c41, tile + n); tile += ldc;
        TWidth.Store(c50, tile); TWidth.Store(c51, tile + n);
        if (mr == 8)
        {
            tile += ldc;
            TWidth.Store(c60, tile); TWidth.Store(c61, tile + n); tile += ldc;
            TWidth.Store(c70, tile); TWidth.Store(c71, tile + n);
        }
    }

    /// <summary>a·b + c rounded once where the CPU has FMA (the kernels' step, shared so every path rounds alike).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Fmadd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
}
