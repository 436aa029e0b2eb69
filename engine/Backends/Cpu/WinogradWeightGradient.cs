using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// ∂L/∂W of a 3×3 stride-1 pad-1 conv by <see cref="FastWinograd"/>'s F(4,3) run backwards. The
/// forward gives each 4×4 output tile as Aᵀ[Σ_ci (G g Gᵀ) ⊙ (Bᵀ d B)]A, so the chain rule gives
/// ∂g = Gᵀ[Σ_tiles (A e Aᵀ) ⊙ (Bᵀ d B)]G, with e the tile's 4×4 of ∂L/∂y and d its 6×6 input:
/// the sum over tiles is 36 GEMMs ∂U[ξ] (Cout × Cin) = D[ξ] (Cout × tiles) · V[ξ]ᵀ (tiles × Cin)
/// on the <see cref="Sgemm"/> micro-kernel, 36 products per tile and channel pair instead of the
/// direct sum's 144. Edge tiles need nothing special: e is zero past the map and d is the
/// forward's zero-padded input.
/// <para>
/// Tiles go in blocks of whole tile rows: the transforms (8 tiles per vector, like the forward's)
/// write a block's D and V with the channels side by side (8×8 transposes), the GEMMs sum over the
/// block's tiles in float and add each block's products into ∂U in double. Every entry is one
/// fixed sum whichever thread computes it, so the result does not depend on the thread count, and
/// the micro-kernel's chains round alike at both widths. Rounding: the transforms amplify it as in
/// the forward (entries up to 8 in A, 1/24 in G); WinogradWeightGradientTests bounds it.
/// </para>
/// </summary>
// SAFETY: pointers only into the buffers rented here and the tensors' arrays, pinned per method; Compute asserts the sizes the indexing relies on.
internal static unsafe class WinogradWeightGradient
{
    private const int Lanes = 8;
    private const int Xi = 36;
    /// <summary>Tiles per block at least (whole tile rows), so a block's D and V stay near L2 on the wide layers.</summary>
    private const int BlockTiles = 128;
    /// <summary>
    /// Tiles whose products one float sum runs over (whole blocks) before it is added into the double
    /// sums: at most this, or one block where a tile row alone is longer (maps over 2048 pixels wide).
    /// </summary>
    private const int ChainTiles = 512;

    /// <summary>Whether this path computes the weight gradient of <paramref name="forward"/> (the transforms and transposes need AVX2).</summary>
    public static bool Applicable(Conv2dOp forward) =>
        forward.KernelH == 3 && forward.KernelW == 3 && forward.Stride == 1 && forward.Padding == 1 && forward.Dilation == 1
        && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Whether this path is the faster for <paramref name="forward"/>'s channels (on a map the forward runs
    /// through F(4,3)). With fewer than 64 output channels each V panel the transforms wrote serves too few
    /// products: in a 256² U-Net step, 32→32 and 64→32 at 256² took 20% longer than the dot products,
    /// while 32→64 at 128² took 0.46 of their time and 256→128 at 64² 0.58.
    /// </summary>
    public static bool Pays(Conv2dOp forward) => forward.OutChannels >= 64 && forward.InChannels >= 32;

    /// <summary>Writes ∂L/∂W (Cout, Cin, 3, 3) for input x (1, Cin, H, W) and output gradient dy (1, Cout, H, W) over dw.</summary>
    public static void Compute(Tensor x, Tensor dy, Tensor dw)
    {
        int cin = x.Shape.C, cout = dy.Shape.C, h = x.Shape.H, w = x.Shape.W;
        if (x.Shape.N != 1 || dy.Shape.N != 1 || dy.Shape.H != h || dy.Shape.W != w || dw.Length != (long)cout * cin * 9)
            throw new ArgumentException($"a 3×3 same conv's ∂W from one frame: x {x.Shape}, dy {dy.Shape}, dW {dw.Shape}");
        var g = new Geometry(cin, cout, h, w);
        int threads = Environment.ProcessorCount;
        var v = ArrayPool<float>.Shared.Rent((int)(Xi * g.VPlane));
        var d = ArrayPool<float>.Shared.Rent((int)(Xi * g.DPlane));
        var products = ArrayPool<float>.Shared.Rent((int)(Xi * g.UPlane));
        // Maps of one chain (the 64² ones, where the wide layers are) need no double sums at all.
        var acc = g.Blocks > g.ChainBlocks ? ArrayPool<double>.Shared.Rent((int)(Xi * g.UPlane)) : null;
        var work = new Workspace[threads];
        try
        {
            // V's channels past the last group of 8, and with MR = 6 D's rows past Cout (written one
            // channel at a time), are never written: zeros, so the GEMMs' unused rows and columns hold
            // no stale NaNs or denormals to slow the multiplies down.
            if (g.CinPad > (cin + 7) / 8 * 8) Array.Clear(v);
            if (Sgemm.MR != 8) Array.Clear(d);
            for (int t = 0; t < threads; t++) work[t] = new Workspace(g);
            Debug.Assert(v.Length >= Xi * g.VPlane && d.Length >= Xi * g.DPlane && products.Length >= Xi * g.UPlane);
            int xGroups = (cin + 7) / 8, dyGroups = (cout + 7) / 8;
            for (int block = 0; block < g.Blocks; block++)
            {
                int first = block * g.RowsPerBlock, end = Math.Min(g.TileRows, first + g.RowsPerBlock);
                int next = 0;
                Parallel.For(0, threads, t =>
                {
                    int job;
                    while ((job = Interlocked.Increment(ref next) - 1) < xGroups + dyGroups)
                    {
                        if (job < xGroups) TransformInput(g, x.Data, job * 8, first, end, v, work[t]);
                        else TransformGradient(g, dy.Data, (job - xGroups) * 8, first, end, d, work[t]);
                    }
                });
                int tiles = (end - first) * g.SlotsPerRow;
                bool continues = block % g.ChainBlocks != 0;
                bool flush = acc is not null && (block % g.ChainBlocks == g.ChainBlocks - 1 || block == g.Blocks - 1);
                bool opening = block < g.ChainBlocks;
                next = 0;
                Parallel.For(0, threads, t =>
                {
                    int xi;
                    while ((xi = Interlocked.Increment(ref next) - 1) < Xi)
                    {
                        Multiply(g, xi, tiles, continues, v, d, products, work[t]);
                        if (flush) Flush(g, xi, opening, products, acc!);
                    }
                });
            }
            Parallel.For(0, cout, co => Untransform(g, co, products, acc, dw.Data));
        }
        finally
        {
            foreach (var ws in work) ws?.Return();
            ArrayPool<float>.Shared.Return(v);
            ArrayPool<float>.Shared.Return(d);
            ArrayPool<float>.Shared.Return(products);
            if (acc is not null) ArrayPool<double>.Shared.Return(acc);
        }
    }

    /// <summary>The sizes and layouts of one call: tiles, blocks, and the packed D, V and ∂U.</summary>
    private sealed class Geometry
    {
        public readonly int Cin, Cout, H, W, CinPad, CoutPad, NBlocks, MBlocks;
        public readonly int TileRows, SlotsPerRow, RowsPerBlock, Blocks, BlockSlots, ChainBlocks;
        /// <summary>Floats from one ξ's V (D) to the next's; doubles per ξ of ∂U.</summary>
        public readonly long VPlane, DPlane, UPlane;

        public Geometry(int cin, int cout, int h, int w)
        {
            (Cin, Cout, H, W) = (cin, cout, h, w);
            NBlocks = (cin + Sgemm.NR - 1) / Sgemm.NR;
            MBlocks = (cout + Sgemm.MR - 1) / Sgemm.MR;
            (CinPad, CoutPad) = (NBlocks * Sgemm.NR, MBlocks * Sgemm.MR);
            TileRows = (h + 3) / 4;
            SlotsPerRow = ((w + 3) / 4 + Lanes - 1) / Lanes * Lanes;
            RowsPerBlock = Math.Clamp((BlockTiles + SlotsPerRow - 1) / SlotsPerRow, 1, TileRows);
            Blocks = (TileRows + RowsPerBlock - 1) / RowsPerBlock;
            BlockSlots = RowsPerBlock * SlotsPerRow;
            ChainBlocks = Math.Max(1, ChainTiles / BlockSlots);
            // V[ξ][ci / NR][tile][ci % NR] and D[ξ][co / MR][tile][co % MR]: GEMM B and A panels, tile = k.
            VPlane = (long)NBlocks * BlockSlots * Sgemm.NR;
            DPlane = (long)MBlocks * BlockSlots * Sgemm.MR;
            UPlane = (long)CoutPad * CinPad;
        }
    }

    /// <summary>One thread's scratch: gathered taps of 8 channels, two padded rows, and 8 channels' transformed tiles.</summary>
    private sealed class Workspace
    {
        public readonly float[] Taps, XRow, DyRow, Zero, Tiles;
        public readonly int[] Offsets;

        public Workspace(Geometry g)
        {
            int row = 4 * g.SlotsPerRow + 2;
            Taps = ArrayPool<float>.Shared.Rent(8 * Xi * g.SlotsPerRow);
            // The rows' cells outside the copied pixels must read 0: cleared once, never written.
            XRow = Cleared(row);
            DyRow = Cleared(row);
            Zero = Cleared(row);
            Tiles = ArrayPool<float>.Shared.Rent(8 * Xi * Lanes);
            Offsets = ArrayPool<int>.Shared.Rent(g.BlockSlots);
            for (int k = 0; k < g.BlockSlots; k++) Offsets[k] = k * Sgemm.NR;
        }

        private static float[] Cleared(int length)
        {
            var a = ArrayPool<float>.Shared.Rent(length);
            Array.Clear(a, 0, length);
            return a;
        }

        public void Return()
        {
            foreach (var a in new[] { Taps, XRow, DyRow, Zero, Tiles }) ArrayPool<float>.Shared.Return(a);
            ArrayPool<int>.Shared.Return(Offsets);
        }
    }

    /// <summary>V = Bᵀ d B for input channels [ci0, ci0 + 8) and tile rows [first, end), stored channels side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput(Geometry g, float[] xData, int ci0, int first, int end, float[] vData, Workspace ws)
    {
        int spr = g.SlotsPerRow, h = g.H, w = g.W, nr = Sgemm.NR;
        // SAFETY: a row copy lands in [1, w + 1) of a buffer of 4·spr + 2 ≥ w + 2 floats, which GatherContiguous reads
        // whole; channel c's taps are 36·spr floats from c·36·spr; a transposed store writes 8 floats at tile
        // (row − first)·spr + s + j < BlockSlots of panel ci0 / NR, lanes ci0 % NR + 8 ≤ NR.
        Debug.Assert(4 * spr >= w && ws.Taps.Length >= 8 * Xi * spr && nr % 8 == 0 && (end - first) * spr <= g.BlockSlots);
        fixed (float* x = xData)
        fixed (float* v = vData)
        fixed (float* taps = ws.Taps)
        fixed (float* row = ws.XRow)
        fixed (float* zero = ws.Zero)
        fixed (float* tiles = ws.Tiles)
        {
            var t = stackalloc Vector256<float>[Xi];
            var o = stackalloc Vector256<float>[6];
            int channels = Math.Min(8, g.Cin - ci0);
            for (int tileRow = first; tileRow < end; tileRow++)
            {
                for (int c = 0; c < channels; c++)
                    GatherRows(x + (long)(ci0 + c) * h * w, h, w, 4 * tileRow - 1, 6, 1, row, zero, taps + c * Xi * spr, spr);
                int slot0 = (tileRow - first) * spr;
                for (int s = 0; s < spr; s += Lanes)
                {
                    for (int c = 0; c < 8; c++)
                    {
                        float* out_ = tiles + c * Xi * Lanes;
                        if (c >= channels)
                        {
                            new Span<float>(out_, Xi * Lanes).Clear();
                            continue;
                        }
                        float* zs = taps + c * Xi * spr + s;
                        int step = 6 * spr;
                        for (int cc = 0; cc < 6; cc++)
                        {
                            float* zc = zs + cc * spr;
                            FastWinograd.TransformB(Vector256.Load(zc), Vector256.Load(zc + step), Vector256.Load(zc + 2 * step),
                                Vector256.Load(zc + 3 * step), Vector256.Load(zc + 4 * step), Vector256.Load(zc + 5 * step), t + cc, 6);
                        }
                        for (int i = 0; i < 6; i++)
                        {
                            var ti = t + i * 6;
                            FastWinograd.TransformB(ti[0], ti[1], ti[2], ti[3], ti[4], ti[5], o, 1);
                            for (int j = 0; j < 6; j++) o[j].Store(out_ + (i * 6 + j) * Lanes);
                        }
                    }
                    float* dst = v + ((long)(ci0 / nr) * g.BlockSlots + slot0 + s) * nr + ci0 % nr;
                    for (int xi = 0; xi < Xi; xi++) Sgemm.Transpose8x8(tiles + xi * Lanes, Xi * Lanes, dst + xi * g.VPlane, nr);
                }
            }
        }
    }

    /// <summary>D = A e Aᵀ for output channels [co0, co0 + 8) and tile rows [first, end), stored channels side by side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformGradient(Geometry g, float[] dyData, int co0, int first, int end, float[] dData, Workspace ws)
    {
        int spr = g.SlotsPerRow, h = g.H, w = g.W, mr = Sgemm.MR;
        // SAFETY: as TransformInput's, rows copied to [0, w); a store to D is at tile < BlockSlots of panel
        // co / MR, lane co % MR; with MR = 8 the group is one panel and its transposed rows are whole panel rows.
        Debug.Assert(4 * spr >= w && ws.Taps.Length >= 8 * Xi * spr && (end - first) * spr <= g.BlockSlots && co0 % 8 == 0);
        fixed (float* dy = dyData)
        fixed (float* d = dData)
        fixed (float* taps = ws.Taps)
        fixed (float* row = ws.DyRow)
        fixed (float* zero = ws.Zero)
        fixed (float* tiles = ws.Tiles)
        {
            var t = stackalloc Vector256<float>[6 * 4];
            var o = stackalloc Vector256<float>[6];
            int channels = Math.Min(8, g.Cout - co0);
            for (int tileRow = first; tileRow < end; tileRow++)
            {
                for (int c = 0; c < channels; c++)
                    GatherRows(dy + (long)(co0 + c) * h * w, h, w, 4 * tileRow, 4, 0, row, zero, taps + c * Xi * spr, spr);
                int slot0 = (tileRow - first) * spr;
                for (int s = 0; s < spr; s += Lanes)
                {
                    for (int c = 0; c < 8; c++)
                    {
                        float* out_ = tiles + c * Xi * Lanes;
                        if (c >= channels)
                        {
                            new Span<float>(out_, Xi * Lanes).Clear();
                            continue;
                        }
                        float* zs = taps + c * Xi * spr + s;
                        int step = 6 * spr;
                        for (int cc = 0; cc < 4; cc++)
                        {
                            float* zc = zs + cc * spr;
                            TransformA(Vector256.Load(zc), Vector256.Load(zc + step), Vector256.Load(zc + 2 * step), Vector256.Load(zc + 3 * step), t + cc, 4);
                        }
                        for (int i = 0; i < 6; i++)
                        {
                            var ti = t + i * 4;
                            TransformA(ti[0], ti[1], ti[2], ti[3], o, 1);
                            for (int j = 0; j < 6; j++) o[j].Store(out_ + (i * 6 + j) * Lanes);
                        }
                    }
                    int tile = slot0 + s;
                    if (mr == 8)
                    {
                        float* dst = d + ((long)(co0 / 8) * g.BlockSlots + tile) * 8;
                        for (int xi = 0; xi < Xi; xi++) Sgemm.Transpose8x8(tiles + xi * Lanes, Xi * Lanes, dst + xi * g.DPlane, 8);
                        continue;
                    }
                    for (int c = 0; c < channels; c++)
                    {
                        int co = co0 + c;
                        float* dst = d + ((long)(co / mr) * g.BlockSlots + tile) * mr + co % mr;
                        for (int xi = 0; xi < Xi; xi++)
                        for (int l = 0; l < Lanes; l++)
                            dst[xi * g.DPlane + l * mr] = tiles[(c * Xi + xi) * Lanes + l];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Rows [top, top + rows) of one h × w plane (zeros outside it), each copied <paramref name="pad"/> cells into
    /// <paramref name="rowBuffer"/> (whose other cells stay 0) and its taps 0…5 gathered to taps + r·6·spr.
    /// </summary>
    private static void GatherRows(float* plane, int h, int w, int top, int rows, int pad, float* rowBuffer, float* zero, float* taps, int spr)
    {
        for (int r = 0; r < rows; r++)
        {
            int iy = top + r;
            float* src = zero;
            if ((uint)iy < (uint)h)
            {
                Buffer.MemoryCopy(plane + (long)iy * w, rowBuffer + pad, w * 4L, w * 4L);
                src = rowBuffer;
            }
            FastWinograd.GatherContiguous(src, taps + r * 6 * spr, spr);
        }
    }

    /// <summary>A·(e0 … e3), the transpose of the forward's output transform Aᵀ, results dst[0], dst[stride], … dst[5·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformA(Vector256<float> e0, Vector256<float> e1, Vector256<float> e2, Vector256<float> e3,
        Vector256<float>* dst, int stride)
    {
        var even = e0 + e2;
        var odd = e1 + e3;
        var evenWide = e0 + e2 * 4f;
        var oddWide = e1 * 2f + e3 * 8f;
        dst[0] = e0;
        dst[stride] = even + odd;
        dst[2 * stride] = even - odd;
        dst[3 * stride] = evenWide + oddWide;
        dst[4 * stride] = evenWide - oddWide;
        dst[5 * stride] = e3;
    }

    /// <summary>
    /// ∂U[ξ] over one block's tiles, D[ξ] · V[ξ]ᵀ, into the float products of ξ: written, or added on
    /// (<paramref name="continues"/>) as the same chain of fused multiply-adds, so a chain of blocks is one sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Multiply(Geometry g, int xi, int tiles, bool continues, float[] vData, float[] dData, float[] productData, Workspace ws)
    {
        int mr = Sgemm.MR, nr = Sgemm.NR, ld = g.CinPad;
        // SAFETY: panel (ξ, mb) of D holds tiles × MR floats, panel (ξ, nb) of V tiles × NR at Offsets[k] = k·NR; ξ's
        // products are CoutPad × CinPad floats.
        Debug.Assert(tiles <= g.BlockSlots && productData.Length >= Xi * g.UPlane);
        fixed (float* v = vData)
        fixed (float* d = dData)
        fixed (float* products = productData)
        fixed (int* offsets = ws.Offsets)
            for (int nb = 0; nb < g.NBlocks; nb++)
            {
                float* b = v + xi * g.VPlane + (long)nb * g.BlockSlots * nr;
                for (int mb = 0; mb < g.MBlocks; mb++)
                    Sgemm.Tile(d + xi * g.DPlane + (long)mb * g.BlockSlots * mr, b, offsets, tiles,
                        products + xi * g.UPlane + (long)mb * mr * ld + nb * nr, ld, continues);
            }
    }

    /// <summary>A finished chain's float products of ξ into its double sums: written by the first chain, added by the rest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Flush(Geometry g, int xi, bool opening, float[] productData, double[] accData)
    {
        // SAFETY: ξ's products and sums are UPlane floats and doubles from ξ·UPlane.
        Debug.Assert(productData.Length >= Xi * g.UPlane && accData.Length >= Xi * g.UPlane);
        fixed (float* products = productData)
        fixed (double* acc = accData)
        {
            float* p = products + xi * g.UPlane;
            double* u = acc + xi * g.UPlane;
            // UPlane = CoutPad · CinPad, CinPad a multiple of NR (16 or 32): whole vectors.
            Debug.Assert(g.UPlane % 8 == 0);
            for (long i = 0; i < g.UPlane; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(p + i));
                if (!opening)
                {
                    lo += Vector256.Load(u + i);
                    hi += Vector256.Load(u + i + 4);
                }
                lo.Store(u + i);
                hi.Store(u + i + 4);
            }
        }
    }

    /// <summary>
    /// ∂W[co, ci] = Gᵀ ∂U[co, ci] G for every input channel, four at a time across the lanes, in double,
    /// rounded once into dW; ∂U is the double sums, or the float products where one chain covered the map.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Untransform(Geometry g, int co, float[] productData, double[]? accData, float[] dwData)
    {
        // SAFETY: CinPad is a multiple of NR (so of 4): the loads of ci … ci + 3 stay in row co of every ξ's plane;
        // the stores are to ci + l < Cin, entry (co, ci + l) of dW.
        Debug.Assert(g.CinPad % 4 == 0 && productData.Length >= Xi * g.UPlane && (accData?.Length ?? long.MaxValue) >= Xi * g.UPlane);
        Debug.Assert(dwData.Length >= (long)g.Cout * g.Cin * 9);
        fixed (float* products = productData)
        fixed (double* acc = accData)
        fixed (float* dw = dwData)
        {
            var u = stackalloc Vector256<double>[Xi];
            var half = stackalloc Vector256<double>[3 * 6];
            var k = stackalloc Vector256<double>[9];
            var taps = stackalloc double[9 * 4];
            for (int ci = 0; ci < g.Cin; ci += 4)
            {
                long at = (long)co * g.CinPad + ci;
                for (int xi = 0; xi < Xi; xi++)
                    u[xi] = acc is null ? Avx.ConvertToVector256Double(Vector128.Load(products + at + xi * g.UPlane)) : Vector256.Load(acc + at + xi * g.UPlane);
                for (int j = 0; j < 6; j++) ApplyGt(u[j], u[6 + j], u[12 + j], u[18 + j], u[24 + j], u[30 + j], half + j, 6);
                for (int ky = 0; ky < 3; ky++)
                {
                    var h = half + ky * 6;
                    ApplyGt(h[0], h[1], h[2], h[3], h[4], h[5], k + ky * 3, 1);
                }
                for (int t = 0; t < 9; t++) k[t].Store(taps + t * 4);
                float* dst = dw + ((long)co * g.Cin + ci) * 9;
                for (int l = 0; l < 4 && ci + l < g.Cin; l++)
                for (int t = 0; t < 9; t++)
                    dst[l * 9 + t] = (float)taps[t * 4 + l];
            }
        }
    }

    /// <summary>Gᵀ·(u0 … u5), the adjoint of the forward's weight transform G, written to dst[0], dst[stride], dst[2·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyGt(Vector256<double> u0, Vector256<double> u1, Vector256<double> u2, Vector256<double> u3,
        Vector256<double> u4, Vector256<double> u5, Vector256<double>* dst, int stride)
    {
        const double Sixth = 1.0 / 6, Twelfth = 1.0 / 12, TwentyFourth = 1.0 / 24;
        var sum12 = u1 + u2;
        var sum34 = u3 + u4;
        dst[0] = u0 * 0.25 - sum12 * Sixth + sum34 * TwentyFourth;
        dst[stride] = (u2 - u1) * Sixth + (u3 - u4) * Twelfth;
        dst[2 * stride] = (sum34 - sum12) * Sixth + u5;
    }
}
