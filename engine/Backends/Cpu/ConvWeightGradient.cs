using System.Diagnostics;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// ∂L/∂W of a k×k stride-1 "same" conv as dot products along the pixels, with no transposed or
/// packed copy of anything: dY is laid out at the padded row pitch (its extra columns zero), so
/// for every tap (ky, kx) dW[co, ci, ky, kx] = Σ_q dYp[co, q] · Xp[ci, q + ky·wp + kx] runs over
/// two contiguous streams. A register block is <see cref="RowsAt"/> output channels × 3 horizontal
/// taps: each step loads one vector of every dY row and three shifted vectors of the X row and
/// does rows × 3 FMAs with the pixels across the lanes. Lanes sum at most 64 products in float;
/// each chunk's lane sums are reduced and added up in double, as precise as PyTorch's.
/// </summary>
// SAFETY: pointers only into xp, dyp, acc, dW and a stack scratch, pinned in Accumulate, whose asserts bound the kernel's reads.
internal static unsafe class ConvWeightGradient
{
    /// <summary>Products each lane sums in float before the chunk's sums go into double.</summary>
    private const int PerLane = 64;
    /// <summary>Horizontal taps per kernel call (the three vectors of one X row, one float apart).</summary>
    private const int Taps = 3;

    /// <summary>
    /// Output channels per register block at a width of <paramref name="lanes"/>: 8 × 3 zmm accumulators
    /// (of 32; measured as fast per FMA as 6 rows on long streams, 7% faster on the 16² maps' short
    /// ones, and no idle rows for the U-Net's 32-channel layers, where 6 wasted an eighth), or 4 × 3
    /// ymm (12 accumulators + 4 operands = the 16 ymm registers).
    /// </summary>
    private static int RowsAt(int lanes) => lanes == 16 ? 8 : 4;

    /// <summary>
    /// Adds ∂L/∂W for input x (1, Cin, H, W) and output gradient dy (1, Cout, H, W) into dw (Cout, Cin, k, k),
    /// or, with <paramref name="accumulate"/> false, stores 0 + ∂L/∂W (what adding into zeros gives, −0 included).
    /// </summary>
    public static void Accumulate(Tensor x, Tensor dy, int k, Tensor dw, bool accumulate = true)
    {
        if (Sgemm.Wide) Accumulate<Avx512Width, Vector512<float>>(x, dy, k, dw, accumulate);
        else Accumulate<Avx2Width, Vector256<float>>(x, dy, k, dw, accumulate);
    }

    /// <summary>As <see cref="Accumulate(Tensor, Tensor, int, Tensor, bool)"/> at one SIMD width (the tests run either).</summary>
    internal static void Accumulate<TWidth, TVec>(Tensor x, Tensor dy, int k, Tensor dw, bool accumulate)
        where TWidth : struct, ISimdWidth<TVec> where TVec : struct
    {
        int cin = x.Shape.C, cout = dy.Shape.C, h = x.Shape.H, w = x.Shape.W, pad = k / 2;
        int hp = h + 2 * pad, wp = w + 2 * pad, plane = hp * wp;
        int lanes = TWidth.Count, rows = RowsAt(lanes);
        int grid = h * wp;
        int chunks = (grid + PerLane * lanes - 1) / (PerLane * lanes);
        int chunk = ((grid + chunks - 1) / chunks + lanes - 1) / lanes * lanes, gridPad = chunks * chunk;
        int blocks = (cout + rows - 1) / rows, tapBlocks = (k + Taps - 1) / Taps;
        // The last plane's reads run past its end by the chunk padding and the taps' reach.
        int xpLength = cin * plane + (gridPad - grid) + tapBlocks * Taps + lanes;
        // dY rows start on 64-byte boundaries (gridPad is a whole number of vectors; the slack lets the
        // start move). Arrays this size live on the large-object heap, which is not compacted, so the
        // offset found once stays right; were one moved, only speed would suffer.
        // Accumulators per job (block, ci), tap row ky and tap block: rows × 4 doubles, each row's
        // three taps and a spare, so a kernel call adds its sums with three vector adds.
        int perCall = rows * 4, perJob = k * tapBlocks * perCall;
        int dypLength = blocks * rows * gridPad + 16, accLength = blocks * cin * perJob;
        var xp = ArrayPool<float>.Shared.Rent(xpLength);
        var dyp = ArrayPool<float>.Shared.Rent(dypLength);
        // With one chunk each job's sums live in a per-thread scratch instead (below).
        var acc = ArrayPool<double>.Shared.Rent(chunks > 1 ? accLength : 0);
        try
        {
            FastConv2d.CopyPadded(x.Data, 0, cin, h, w, pad, xp, xpLength);
            int dyp0;
            fixed (float* p = dyp) dyp0 = (int)((64 - (long)p % 64) % 64 / 4);
            Parallel.For(0, blocks * rows, co =>
            {
                var dst = dyp.AsSpan(dyp0 + co * gridPad, gridPad);
                dst.Clear();
                if (co < cout)
                    for (int r = 0; r < h; r++) dy.Data.AsSpan((co * h + r) * w, w).CopyTo(dst.Slice(r * wp));
            });

            // SAFETY: Dots reads dY rows [block·rows, block·rows + rows) from dyp0 at [q0, q0 + chunk) < gridPad, and X
            // from channel ci's plane at q0 + ky·wp + tb·3 up to one vector past the chunk's end (the last plane's
            // reach is what xpLength adds); a job's sums are perJob doubles.
            Debug.Assert(dyp0 + (long)blocks * rows * gridPad <= dyp.Length && xpLength <= xp.Length);
            Debug.Assert((long)(cin - 1) * plane + gridPad + (k - 1) * wp + (tapBlocks - 1) * Taps + lanes <= xpLength);
            Debug.Assert(chunks == 1 || (long)blocks * cin * perJob <= acc.Length);
            int threads = Environment.ProcessorCount, jobs = blocks * cin;
            // Thread t owns the same jobs in every chunk: no two threads touch the same accumulator,
            // each adds its chunks in order, and there is one fork for the whole layer.
            Parallel.For(0, Math.Min(threads, jobs), t =>
            {
                var owned = new OwnedJobs(t, threads, blocks, cin);
                // Addresses for the local functions below, which cannot capture fixed pointers.
                nint dypBase, xpBase, dwBase;
                fixed (float* a = dyp)
                fixed (float* b = xp)
                fixed (double* sum = acc)
                fixed (float* result = dw.Data)
                {
                    (dypBase, xpBase, dwBase) = ((nint)(a + dyp0), (nint)b, (nint)result);
                    if (chunks == 1)
                    {
                        // One chunk (the small maps, where the wide layers are): each job's sums go
                        // from a scratch in L1 straight into dW, instead of through accumulators for
                        // every job (2.7 times the size of dW, 83 MB for the U-Net) cleared, added
                        // into and read back from memory.
                        double* scratch = stackalloc double[perJob + 8];
                        scratch = (double*)(((nint)scratch + 63) & ~(nint)63);
                        foreach (int job in owned)
                        {
                            new Span<double>(scratch, perJob).Clear();
                            Dots(job, 0, scratch);
                            Round(job, scratch);
                        }
                        return;
                    }
                    foreach (int job in owned) new Span<double>(sum + (long)job * perJob, perJob).Clear();
                    for (int c = 0; c < chunks; c++)
                        foreach (int job in owned)
                            Dots(job, c * chunk, sum + (long)job * perJob);
                    // Each thread rounds its own accumulators into dW (a serial pass over the 2.4 M
                    // weights of a deep layer took a third of its time).
                    foreach (int job in owned) Round(job, sum + (long)job * perJob);
                }

                // Job (block, ci)'s dot products over pixels [q0, q0 + chunk), added to its entries.
                void Dots(int job, int q0, double* entries)
                {
                    int block = job / cin, ci = job % cin;
                    float* aBlock = (float*)dypBase + block * rows * gridPad + q0;
                    for (int ky = 0; ky < k; ky++)
                    for (int tb = 0; tb < tapBlocks; tb++, entries += perCall)
                    {
                        float* bRow = (float*)xpBase + (long)ci * plane + q0 + ky * wp + tb * Taps;
                        Dots<TWidth, TVec>(aBlock, gridPad, bRow, chunk / lanes, entries);
                    }
                }

                // Job (block, ci)'s sums, rounded, into dW (added to it when accumulating).
                void Round(int job, double* entries)
                {
                    int block = job / cin, ci = job % cin;
                    float* result = (float*)dwBase;
                    for (int r = 0; r < rows && block * rows + r < cout; r++)
                    for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                    {
                        long at = (((long)(block * rows + r) * cin + ci) * k + ky) * k + kx;
                        result[at] = (accumulate ? result[at] : 0f) + (float)entries[(ky * tapBlocks + kx / Taps) * perCall + r * 4 + kx % Taps];
                    }
                }
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(xp);
            ArrayPool<float>.Shared.Return(dyp);
            ArrayPool<double>.Shared.Return(acc);
        }
    }

    /// <summary>
    /// The jobs (block · cin + ci) thread t runs, in order: a contiguous range of input channels in
    /// every block, so the threads' accumulators (and dW rows) lie in separate cache lines —
    /// interleaved ci, neighbours 72 bytes apart, made both cores fight over the lines. With fewer
    /// input channels than that needs, whole blocks. Enumerated without allocating.
    /// </summary>
    private readonly struct OwnedJobs
    {
        private readonly int _firstBlock, _blockStep, _blocks, _cin, _ciFrom, _ciTo;

        public OwnedJobs(int t, int threads, int blocks, int cin)
        {
            (_blocks, _cin) = (blocks, cin);
            if (cin >= 2 * threads)
                (_firstBlock, _blockStep, _ciFrom, _ciTo) = (0, 1, (int)((long)cin * t / threads), (int)((long)cin * (t + 1) / threads));
            else
                (_firstBlock, _blockStep, _ciFrom, _ciTo) = (t, threads, 0, cin);
        }

        public Enumerator GetEnumerator() => new(this);

        public struct Enumerator(OwnedJobs jobs)
        {
            private int _block = jobs._firstBlock, _ci = jobs._ciFrom - 1;

            public readonly int Current => _block * jobs._cin + _ci;

            public bool MoveNext()
            {
                if (++_ci == jobs._ciTo)
                {
                    _ci = jobs._ciFrom;
                    _block += jobs._blockStep;
                }
                return _block < jobs._blocks && _ci < jobs._ciTo;
            }
        }
    }

    /// <summary>
    /// <see cref="RowsAt"/> rows of a (lda apart) × 3 taps of b (one float apart) over steps vectors of
    /// pixels; each dot product, in double, is added to sum[r·4 + tap]. The rows past four exist only
    /// in the wide instantiation (the count is a constant there and the branches fold).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots<TWidth, TVec>(float* a, int lda, float* b, int steps, double* sum)
        where TWidth : struct, ISimdWidth<TVec> where TVec : struct
    {
        int lanes = TWidth.Count;
        bool eight = RowsAt(lanes) == 8;
        TVec c00 = TWidth.Zero, c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        TVec c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        TVec c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
        TVec c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
        float* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        // Wide: one load of X per step, the vectors one and two floats on cut from it and the next one
        // (valignd), instead of two more loads that would straddle cache lines. Narrow: three loads, as
        // carrying the next vector would need a seventeenth ymm register.
        var next = TWidth.Load(b);
        for (int s = 0; s < steps; s++)
        {
            int o = s * lanes;
            TVec b0;
            if (eight)
            {
                b0 = next;
                next = TWidth.Load(b + o + lanes);
            }
            else b0 = TWidth.Load(b + o);
            var (b1, b2) = TWidth.LoadOneAndTwoOn(b + o, b0, next);
            var av = TWidth.Load(a + o);
            c00 = TWidth.MultiplyAdd(av, b0, c00); c01 = TWidth.MultiplyAdd(av, b1, c01); c02 = TWidth.MultiplyAdd(av, b2, c02);
            av = TWidth.Load(a1 + o);
            c10 = TWidth.MultiplyAdd(av, b0, c10); c11 = TWidth.MultiplyAdd(av, b1, c11); c12 = TWidth.MultiplyAdd(av, b2, c12);
            av = TWidth.Load(a2 + o);
            c20 = TWidth.MultiplyAdd(av, b0, c20); c21 = TWidth.MultiplyAdd(av, b1, c21); c22 = TWidth.MultiplyAdd(av, b2, c22);
            av = TWidth.Load(a3 + o);
            c30 = TWidth.MultiplyAdd(av, b0, c30); c31 = TWidth.MultiplyAdd(av, b1, c31); c32 = TWidth.MultiplyAdd(av, b2, c32);
            if (eight)
            {
                av = TWidth.Load(a4 + o);
                c40 = TWidth.MultiplyAdd(av, b0, c40); c41 = TWidth.MultiplyAdd(av, b1, c41); c42 = TWidth.MultiplyAdd(av, b2, c42);
                av = TWidth.Load(a5 + o);
                c50 = TWidth.MultiplyAdd(av, b0, c50); c51 = TWidth.MultiplyAdd(av, b1, c51); c52 = TWidth.MultiplyAdd(av, b2, c52);
                av = TWidth.Load(a6 + o);
                c60 = TWidth.MultiplyAdd(av, b0, c60); c61 = TWidth.MultiplyAdd(av, b1, c61); c62 = TWidth.MultiplyAdd(av, b2, c62);
                av = TWidth.Load(a7 + o);
                c70 = TWidth.MultiplyAdd(av, b0, c70); c71 = TWidth.MultiplyAdd(av, b1, c71); c72 = TWidth.MultiplyAdd(av, b2, c72);
            }
        }
        // The casts through object are the JIT's no-op reinterpretation in a specialized instantiation.
        if (eight)
            AddSums((Vector512<float>)(object)c00, (Vector512<float>)(object)c01, (Vector512<float>)(object)c02,
                (Vector512<float>)(object)c10, (Vector512<float>)(object)c11, (Vector512<float>)(object)c12,
                (Vector512<float>)(object)c20, (Vector512<float>)(object)c21, (Vector512<float>)(object)c22,
                (Vector512<float>)(object)c30, (Vector512<float>)(object)c31, (Vector512<float>)(object)c32,
                (Vector512<float>)(object)c40, (Vector512<float>)(object)c41, (Vector512<float>)(object)c42,
                (Vector512<float>)(object)c50, (Vector512<float>)(object)c51, (Vector512<float>)(object)c52,
                (Vector512<float>)(object)c60, (Vector512<float>)(object)c61, (Vector512<float>)(object)c62,
                (Vector512<float>)(object)c70, (Vector512<float>)(object)c71, (Vector512<float>)(object)c72, sum);
        else
        {
            sum[0] += Vector256.Sum((Vector256<float>)(object)c00); sum[1] += Vector256.Sum((Vector256<float>)(object)c01); sum[2] += Vector256.Sum((Vector256<float>)(object)c02);
            sum[4] += Vector256.Sum((Vector256<float>)(object)c10); sum[5] += Vector256.Sum((Vector256<float>)(object)c11); sum[6] += Vector256.Sum((Vector256<float>)(object)c12);
            sum[8] += Vector256.Sum((Vector256<float>)(object)c20); sum[9] += Vector256.Sum((Vector256<float>)(object)c21); sum[10] += Vector256.Sum((Vector256<float>)(object)c22);
            sum[12] += Vector256.Sum((Vector256<float>)(object)c30); sum[13] += Vector256.Sum((Vector256<float>)(object)c31); sum[14] += Vector256.Sum((Vector256<float>)(object)c32);
        }
    }

    /// <summary>
    /// The 24 lane sums of the wide block into the accumulators' layout of four per row (the spare
    /// lane a copy), each in double. With AVX-512, sixteen (then eight) at once, added in exactly
    /// Vector512.Sum's order (pairs, then 128-bit quarters, then halves), so the result is the same
    /// bits at a quarter of the cost; emulated, by Vector512.Sum itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums(Vector512<float> c00, Vector512<float> c01, Vector512<float> c02, Vector512<float> c10,
        Vector512<float> c11, Vector512<float> c12, Vector512<float> c20, Vector512<float> c21, Vector512<float> c22,
        Vector512<float> c30, Vector512<float> c31, Vector512<float> c32, Vector512<float> c40, Vector512<float> c41,
        Vector512<float> c42, Vector512<float> c50, Vector512<float> c51, Vector512<float> c52, Vector512<float> c60,
        Vector512<float> c61, Vector512<float> c62, Vector512<float> c70, Vector512<float> c71, Vector512<float> c72, double* sum)
    {
        if (!Avx512F.IsSupported)
        {
            sum[0] += Vector512.Sum(c00); sum[1] += Vector512.Sum(c01); sum[2] += Vector512.Sum(c02);
            sum[4] += Vector512.Sum(c10); sum[5] += Vector512.Sum(c11); sum[6] += Vector512.Sum(c12);
            sum[8] += Vector512.Sum(c20); sum[9] += Vector512.Sum(c21); sum[10] += Vector512.Sum(c22);
            sum[12] += Vector512.Sum(c30); sum[13] += Vector512.Sum(c31); sum[14] += Vector512.Sum(c32);
            sum[16] += Vector512.Sum(c40); sum[17] += Vector512.Sum(c41); sum[18] += Vector512.Sum(c42);
            sum[20] += Vector512.Sum(c50); sum[21] += Vector512.Sum(c51); sum[22] += Vector512.Sum(c52);
            sum[24] += Vector512.Sum(c60); sum[25] += Vector512.Sum(c61); sum[26] += Vector512.Sum(c62);
            sum[28] += Vector512.Sum(c70); sum[29] += Vector512.Sum(c71); sum[30] += Vector512.Sum(c72);
            return;
        }
        var low = Halves(Quarters(c00, c01, c02, c10), Quarters(c11, c12, c20, c21));
        var high = Halves(Quarters(c22, c30, c31, c32), Quarters(c40, c41, c42, c50));
        var first = Avx512F.Shuffle4x128(low, high, Even) + Avx512F.Shuffle4x128(low, high, Odd);
        var third = Halves(Quarters(c51, c52, c60, c61), Quarters(c62, c70, c71, c72));
        var rest = Avx512F.Shuffle4x128(third, third, Even) + Avx512F.Shuffle4x128(third, third, Odd);
        var rows03 = Avx512F.PermuteVar16x32x2(first, RowsOf4, rest);
        var rows47 = Avx512F.PermuteVar16x32x2(first, Rows4To7, rest);
        (Vector512.Load(sum) + Vector512.WidenLower(rows03)).Store(sum);
        (Vector512.Load(sum + 8) + Vector512.WidenUpper(rows03)).Store(sum + 8);
        (Vector512.Load(sum + 16) + Vector512.WidenLower(rows47)).Store(sum + 16);
        (Vector512.Load(sum + 24) + Vector512.WidenUpper(rows47)).Store(sum + 24);
    }

    private static readonly Vector512<int> RowsOf4 = Vector512.Create(0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8, 0, 9, 10, 11, 0);
    private static readonly Vector512<int> Rows4To7 = Vector512.Create(12, 13, 14, 0, 15, 16, 17, 0, 18, 19, 20, 0, 21, 22, 23, 0);

    private const byte Even = 0x88, Odd = 0xDD; // elements (or 128-bit quarters) 0, 2 | 0, 2 and 1, 3 | 1, 3

    /// <summary>Per 128-bit quarter q: [Σ a.q, Σ b.q, Σ c.q, Σ d.q], each the sum ((x0 + x1) + (x2 + x3)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        var ab = Avx512F.Shuffle(a, b, Even) + Avx512F.Shuffle(a, b, Odd);
        var cd = Avx512F.Shuffle(c, d, Even) + Avx512F.Shuffle(c, d, Odd);
        return Avx512F.Shuffle(ab, cd, Even) + Avx512F.Shuffle(ab, cd, Odd);
    }

    /// <summary>Quarter sums of two <see cref="Quarters"/> results combined: [s.q0 + s.q1, s.q2 + s.q3, t.q0 + t.q1, t.q2 + t.q3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> s, Vector512<float> t) =>
        Avx512F.Shuffle4x128(s, t, Even) + Avx512F.Shuffle4x128(s, t, Odd);
}
