using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Buffers;
using System.Runtime.Intrinsics;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// Convolution as GEMM: C[Cout × pixels] = A[Cout × K] · B[K × pixels], K = Cin·KH·KW.
/// A (the weights) is packed once into panels of <see cref="MR"/> output channels. B is never
/// materialized for stride-1 convs: on a zero-padded copy of the input, pixel p of a row of
/// the padded width reads tap k at p + offset[k] (implicit GEMM; the few columns that fall in
/// the padding are computed and discarded). Strided convs pack B per chunk (im2col). Both feed
/// the <see cref="Sgemm"/> micro-kernel; bias and activation are applied as the tile
/// is stored.
/// </summary>
// SAFETY: every pointer is into an array pinned in the method that uses it; each fixed block states its bounds.
internal sealed unsafe class FastConv2d : IPreparedOp
{
    private static readonly int MR = Sgemm.MR;
    private static readonly int NR = Sgemm.NR;
    private const int TilesPerChunk = 4;
    /// <summary>Depth rows per packed B panel: 192 × 32 floats = 24 KiB, half of L1, with AVX-512.</summary>
    private const int DepthBlock = 192;
    private static readonly int[] _panelOffsets = Enumerable.Range(0, DepthBlock).Select(k => k * Sgemm.NR).ToArray();

    private readonly Conv2dOp _op;
    private readonly int _k;
    private readonly int _mBlocks;
    private readonly float[] _packedA; // (mBlocks, K, MR)
    private readonly float[] _bias;    // (Cout)

    private readonly bool _implicit;

    public FastConv2d(Conv2dOp op, Tensor weight, Tensor? bias, ConvPath path)
        : this(op, Sgemm.PackA(weight.Data, op.OutChannels, op.InChannels * op.KernelH * op.KernelW), bias, path)
    {
    }

    /// <summary>A conv whose weights are packed already (<see cref="Sgemm.PackA(float[], int, int)"/>'s layout).</summary>
    public FastConv2d(Conv2dOp op, float[] packedWeights, Tensor? bias, ConvPath path)
    {
        if (path is not (ConvPath.ImplicitGemm or ConvPath.Im2Col) || !ConvPlan.Applicable(path, op))
            throw new ArgumentException($"FastConv2d runs implicit GEMM (stride 1) or im2col, not {path} for {op}");
        _op = op;
        _implicit = path == ConvPath.ImplicitGemm;
        _k = op.InChannels * op.KernelH * op.KernelW;
        _mBlocks = (op.OutChannels + MR - 1) / MR;
        _packedA = packedWeights;
        _bias = bias is null ? new float[op.OutChannels] : bias.Span.ToArray();
    }

    public Op Op => _op;

    /// <summary>Every tile's valid pixels are stored, and the tiles cover the output.</summary>
    public bool WritesWholeOutput => true;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(_op, y, activations);
        var x = activations[0];
        for (int n = 0; n < x.Shape.N; n++)
        {
            if (_implicit) RunImplicit(x, n, y);
            else RunIm2Col(x, n, y);
        }
    }

    /// <summary>
    /// Where output tiles go: rows [0, Rows) of the computed pixel grid (row pitch Pitch) are output
    /// rows starting at Offset (image n, maybe a band of rows) in planes PlaneStride apart.
    /// </summary>
    private readonly record struct Target(float[] Out, int Offset, int Rows, int Wo, int Pitch, int PlaneStride);

    private void RunImplicit(Tensor x, int n, Tensor y)
    {
        if (_op.OutChannels == 1)
        {
            RunSingleOutput(x, n, y);
            return;
        }
        if (RunBanded(x, n, y)) return;
        var s = x.Shape;
        int p = _op.Padding, d = _op.Dilation;
        int hp = s.H + 2 * p, wp = s.W + 2 * p, plane = hp * wp;
        int ho = y.Shape.H, wo = y.Shape.W;
        // Tiles of the last rows read up to NR + (KW−1)·d floats past the last plane.
        int length = s.C * plane + NR + (_op.KernelW - 1) * d;
        var padded = ArrayPool<float>.Shared.Rent(length);
        try
        {
            CopyPadded(x.Data, n * s.C * s.H * s.W, s.C, s.H, s.W, p, padded, length);

            var offsets = ArrayPool<int>.Shared.Rent(_k);
            for (int c = 0, k = 0; c < s.C; c++)
            for (int ky = 0; ky < _op.KernelH; ky++)
            for (int kx = 0; kx < _op.KernelW; kx++)
                offsets[k++] = c * plane + ky * d * wp + kx * d;

            var target = new Target(y.Data, n * y.Shape.C * ho * wo, ho, wo, wp, ho * wo);
            int tiles = (ho * wp + NR - 1) / NR;
            int chunks = (tiles + TilesPerChunk - 1) / TilesPerChunk;
            // Small maps with many channels have few pixel chunks: split the output channels too,
            // so every core gets several pieces of work.
            int groups = Math.Clamp((4 * Environment.ProcessorCount + chunks - 1) / chunks, 1, _mBlocks);
            int perGroup = (_mBlocks + groups - 1) / groups;
            groups = (_mBlocks + perGroup - 1) / perGroup;
            try
            {
                Parallel.For(0, chunks * groups, item =>
                {
                    int chunk = item / groups, mb0 = item % groups * perGroup, mb1 = Math.Min(_mBlocks, mb0 + perGroup);
                    int t0 = chunk * TilesPerChunk, count = Math.Min(tiles, t0 + TilesPerChunk) - t0;
                    RunPiece(padded, offsets, t0, count, mb0, mb1, target);
                });
            }
            finally
            {
                ArrayPool<int>.Shared.Return(offsets);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    /// <summary>
    /// The implicit GEMM with one output channel (DnCNN's last layer): a tile would use one of its
    /// MR rows, so each output is computed on its own, vectors across the pixels of a band of rows,
    /// one channel's taps per pass with the running sum in a register. Each band pads its own input
    /// rows, channel by channel, into a buffer that stays in L1 (a padded copy of the whole input
    /// would write and read back 16 MiB for 4 ms of work). Each output is still one FMA chain from
    /// 0 over the whole depth in order, then the bias: the GEMM's bits.
    /// </summary>
    private void RunSingleOutput(Tensor x, int n, Tensor y)
    {
        var s = x.Shape;
        int p = _op.Padding, d = _op.Dilation, kh = _op.KernelH, kw = _op.KernelW, taps = kh * kw;
        int wp = s.W + 2 * p, ho = y.Shape.H, wo = y.Shape.W;
        var tapOffsets = new int[taps];
        for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
            tapOffsets[ky * kw + kx] = ky * d * wp + kx * d;
        const int BandRows = 8;
        int bandLength = (BandRows + (kh - 1) * d) * wp + 32 + (kw - 1) * d;
        int bands = (ho + BandRows - 1) / BandRows, mr = MR;
        float bias = _bias[0];
        bool relu = _op.Activation == Activation.Relu;
        int inOffset = n * s.C * s.H * s.W, outOffset = n * ho * wo;
        Parallel.For(0, bands, () => ArrayPool<float>.Shared.Rent(bandLength + BandRows * wp + 32), (band, _, buffer) =>
        {
            int y0 = band * BandRows, rows = Math.Min(BandRows, ho - y0), cells = (rows * wp + 31) / 32 * 32;
            int inRows = rows + (kh - 1) * d;
            // The last vectors read past the band's rows: keep that tail zero.
            Array.Clear(buffer, inRows * wp, bandLength - inRows * wp);
            // SAFETY: the taps read local[q + offs[t] + 31] < bandLength for q < cells, the sums live at
            // local[bandLength, bandLength + cells), and channel c's taps are MR floats apart in its panel row.
            Debug.Assert(cells - 1 + tapOffsets[taps - 1] < bandLength && bandLength + cells <= buffer.Length);
            Debug.Assert((long)s.C * taps * mr <= _packedA.Length && outOffset + (long)(y0 + rows) * wo <= y.Length);
            fixed (float* w = _packedA)
            fixed (float* local = buffer)
            fixed (int* offs = tapOffsets)
            fixed (float* outBase = y.Data)
            {
                float* acc = local + bandLength;
                for (int c = 0; c < s.C; c++)
                {
                    PadRows(x.Data, inOffset + c * s.H * s.W, s.H, s.W, p, y0, inRows, buffer);
                    float* wc = w + (long)c * taps * mr; // packed A: row 0 of the one panel, MR floats per k
                    // Four vectors at once: four independent chains hide the FMA latency.
                    for (int q = 0; q < cells; q += 32)
                    {
                        float* a = acc + q;
                        Vector256<float> s0, s1, s2, s3;
                        if (c == 0) s0 = s1 = s2 = s3 = Vector256<float>.Zero;
                        else (s0, s1, s2, s3) = (Vector256.Load(a), Vector256.Load(a + 8), Vector256.Load(a + 16), Vector256.Load(a + 24));
                        for (int t = 0; t < taps; t++)
                        {
                            var wt = Vector256.Create(wc[t * mr]);
                            float* b = local + q + offs[t];
                            s0 = Sgemm.Fmadd(wt, Vector256.Load(b), s0);
                            s1 = Sgemm.Fmadd(wt, Vector256.Load(b + 8), s1);
                            s2 = Sgemm.Fmadd(wt, Vector256.Load(b + 16), s2);
                            s3 = Sgemm.Fmadd(wt, Vector256.Load(b + 24), s3);
                        }
                        s0.Store(a); s1.Store(a + 8); s2.Store(a + 16); s3.Store(a + 24);
                    }
                }
                for (int r = 0; r < rows; r++)
                {
                    float* to = outBase + outOffset + (y0 + r) * wo;
                    for (int ox = 0; ox < wo; ox++)
                    {
                        float v = acc[r * wp + ox] + bias;
                        to[ox] = relu && v < 0 ? 0 : v;
                    }
                }
            }
            return buffer;
        }, buffer => ArrayPool<float>.Shared.Return(buffer));
    }

    /// <summary>The size a band's padded copy aims at: in L2 with room for the packed panels.</summary>
    private const int BandBytes = 768 << 10;

    /// <summary>
    /// The implicit GEMM on a large map, a band of output rows at a time: each band's input rows
    /// (with the taps' halo) are padded into a per-thread buffer that stays in L2 while the band's
    /// tiles read it, instead of one padded copy of the whole input going out to memory and coming
    /// back. Every output is the same FMA chain as on the whole-image path. False (nothing done) when
    /// the whole padded copy is small enough to stay in the last-level cache (under 4 MiB; from 8 MiB
    /// banded, in between only if the halo rows add at most an eighth), when the halo would more than
    /// double the rows read, or when the map has too few rows for four bands per core. Measured here:
    /// the 256² U-Net convs 10–20% faster, 256 channels at 64² (9-row bands) 7% slower, hence the rule.
    /// </summary>
    private bool RunBanded(Tensor x, int n, Tensor y)
    {
        var s = x.Shape;
        int p = _op.Padding, d = _op.Dilation, halo = (_op.KernelH - 1) * d;
        int wp = s.W + 2 * p, ho = y.Shape.H, wo = y.Shape.W;
        long bytes = (long)s.C * (s.H + 2 * p) * wp * sizeof(float);
        // Bands fit L2, and there are at least four per core (the pieces cost the same, so at most an eighth idles).
        int threads = Environment.ProcessorCount;
        int rowsPerBand = Math.Clamp(Math.Min(BandBytes / (s.C * wp * sizeof(float)) - halo, ho / (4 * threads)), 1, ho);
        int bands = (ho + rowsPerBand - 1) / rowsPerBand;
        if (bytes < 4 << 20 || (bytes < 8 << 20 && rowsPerBand < 8 * halo) || rowsPerBand < halo || bands < 4 * threads) return false;
        int bandPlane = (rowsPerBand + halo) * wp;
        int length = s.C * bandPlane + NR + (_op.KernelW - 1) * d;
        var offsets = new int[_k];
        for (int c = 0, k = 0; c < s.C; c++)
        for (int ky = 0; ky < _op.KernelH; ky++)
        for (int kx = 0; kx < _op.KernelW; kx++)
            offsets[k++] = c * bandPlane + ky * d * wp + kx * d;
        int src0 = n * s.C * s.H * s.W, out0 = n * y.Shape.C * ho * wo;
        Parallel.For(0, bands, () => ArrayPool<float>.Shared.Rent(length), (band, _, padded) =>
        {
            int y0 = band * rowsPerBand, rows = Math.Min(rowsPerBand, ho - y0);
            for (int c = 0; c < s.C; c++)
                PadRows(x.Data, src0 + c * s.H * s.W, s.H, s.W, p, y0, rows + halo, padded.AsSpan(c * bandPlane, bandPlane));
            Array.Clear(padded, s.C * bandPlane, length - s.C * bandPlane);
            var target = new Target(y.Data, out0 + y0 * wo, rows, wo, wp, ho * wo);
            int tiles = (rows * wp + NR - 1) / NR;
            for (int t0 = 0; t0 < tiles; t0 += TilesPerChunk)
                RunPiece(padded, offsets, t0, Math.Min(TilesPerChunk, tiles - t0), 0, _mBlocks, target);
            return padded;
        }, padded => ArrayPool<float>.Shared.Return(padded));
        return true;
    }

    /// <summary>
    /// Input rows y0 − pad … y0 − pad + count − 1 of the h × w plane at src[planeOffset], as rows of
    /// w + 2·pad at the start of dst: zero outside the image and in the side columns.
    /// </summary>
    private static void PadRows(float[] src, int planeOffset, int h, int w, int pad, int y0, int count, Span<float> dst)
    {
        int wp = w + 2 * pad;
        for (int r = 0; r < count; r++)
        {
            var row = dst.Slice(r * wp, wp);
            int iy = y0 - pad + r;
            if ((uint)iy >= (uint)h) { row.Clear(); continue; }
            row.Slice(0, pad).Clear();
            src.AsSpan(planeOffset + iy * w, w).CopyTo(row.Slice(pad));
            row.Slice(pad + w).Clear();
        }
    }

    /// <summary>
    /// Copies <paramref name="channels"/> planes of h × w from <paramref name="src"/> (at
    /// <paramref name="srcOffset"/>) into <paramref name="dst"/> as planes of (h + 2·pad) × (w + 2·pad)
    /// with a zero border, and zeroes dst from the last plane's end up to <paramref name="length"/>.
    /// Channels run in parallel: on the large maps this copy is a tenth of the conv.
    /// </summary>
    internal static void CopyPadded(float[] src, int srcOffset, int channels, int h, int w, int pad, float[] dst, int length)
    {
        int wp = w + 2 * pad, plane = (h + 2 * pad) * wp;
        Array.Clear(dst, channels * plane, length - channels * plane);
        Parallel.For(0, channels, c =>
        {
            var to = dst.AsSpan(c * plane, plane);
            to.Slice(0, pad * wp + pad).Clear();
            for (int r = 0; r < h; r++)
            {
                int row = (r + pad) * wp + pad;
                src.AsSpan(srcOffset + (c * h + r) * w, w).CopyTo(to.Slice(row));
                to.Slice(row + w, Math.Min(2 * pad, plane - row - w)).Clear();
            }
            int end = (h + pad) * wp + pad;
            if (end < plane) to.Slice(end).Clear();
        });
    }

    /// <summary>
    /// Output tiles [t0, t0 + count) × channel blocks [mb0, mb1): the depth in steps of
    /// <see cref="DepthBlock"/>, each step's B rows copied into contiguous panels (one per tile,
    /// small enough for L1, used by every channel block), partial sums kept in a tile buffer
    /// between steps — the same FMA chain per output as one pass over the whole depth.
    /// </summary>
    private void RunPiece(float[] padded, int[] offsets, int t0, int count, int mb0, int mb1, in Target target)
    {
        int mr = MR, nr = NR, blocks = mb1 - mb0;
        // 16 floats of slack so both can start on a 64-byte boundary: the kernel's vector loads then never straddle cache lines.
        var panels = ArrayPool<float>.Shared.Rent(count * DepthBlock * nr + 16);
        var sums = ArrayPool<float>.Shared.Rent(blocks * count * mr * nr + 16);
        // SAFETY: tile t's B rows are the NR floats at (t0 + t)·NR + offsets[k], offsets rising with k, inside padded
        // (its callers pad past the last plane for that); the A panels of blocks < mb1 lie in _packedA; panels
        // and sums keep 16 floats of slack for their 64-byte alignment; StoreTile writes inside the target.
        Debug.Assert((long)(t0 + count) * nr - 1 + offsets[_k - 1] < padded.Length && (long)mb1 * _k * mr <= _packedA.Length);
        try
        {
            fixed (float* a = _packedA)
            fixed (float* b = padded)
            fixed (int* offs = offsets)
            fixed (int* panelOffs = _panelOffsets)
            fixed (float* panel0 = panels)
            fixed (float* c0 = sums)
            {
                float* panel = Align64(panel0), c = Align64(c0);
                for (int k0 = 0; k0 < _k; k0 += DepthBlock)
                {
                    int kc = Math.Min(DepthBlock, _k - k0);
                    for (int t = 0; t < count; t++)
                    {
                        float* dst = panel + t * DepthBlock * nr;
                        float* col = b + (t0 + t) * nr;
                        if (Sgemm.Wide) CopyPanel<Avx512Width, Vector512<float>>(col, offs + k0, kc, dst);
                        else CopyPanel<Avx2Width, Vector256<float>>(col, offs + k0, kc, dst);
                    }
                    for (int t = 0; t < count; t++)
                    for (int mb = mb0; mb < mb1; mb++)
                        Sgemm.Tile(a + ((long)mb * _k + k0) * mr, panel + t * DepthBlock * nr, panelOffs, kc,
                            c + ((mb - mb0) * count + t) * mr * nr, nr, accumulate: k0 > 0);
                }
                for (int mb = mb0; mb < mb1; mb++)
                for (int t = 0; t < count; t++)
                    StoreTile(c + ((mb - mb0) * count + t) * mr * nr, mb, (t0 + t) * nr, target);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(panels);
            ArrayPool<float>.Shared.Return(sums);
        }
    }

    /// <summary>Rows k &lt; <paramref name="rows"/> of B (NR floats at col + offs[k]) one after another from dst: a tile's contiguous panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPanel<TWidth, TVec>(float* col, int* offs, int rows, float* dst)
        where TWidth : struct, ISimdWidth<TVec> where TVec : struct
    {
        int n = TWidth.Count;
        for (int k = 0; k < rows; k++, dst += 2 * n)
        {
            float* from = col + offs[k];
            TWidth.Store(TWidth.Load(from), dst);
            TWidth.Store(TWidth.Load(from + n), dst + n);
        }
    }

    private static float* Align64(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private void RunIm2Col(Tensor x, int n, Tensor y)
    {
        var s = x.Shape;
        int ho = y.Shape.H, wo = y.Shape.W;
        int pixels = ho * wo;
        // Keep one chunk of packed B around 512 KiB so it stays in L2.
        int chunkPixels = Math.Clamp((1 << 17) / _k / NR * NR, NR, 256);
        int chunks = (pixels + chunkPixels - 1) / chunkPixels;
        var target = new Target(y.Data, n * y.Shape.C * pixels, ho, wo, wo, pixels);
        int src0 = n * s.C * s.H * s.W;
        var offsets = new int[_k];
        for (int k = 0; k < _k; k++) offsets[k] = k * chunkPixels;

        Parallel.For(0, chunks, chunk =>
        {
            int p0 = chunk * chunkPixels, count = Math.Min(chunkPixels, pixels - p0);
            var packed = ArrayPool<float>.Shared.Rent(_k * chunkPixels);
            // SAFETY: PackColumns reads input rows and columns it has checked are inside the image and writes
            // _k rows of chunkPixels; a multiple of NR, so the tiles' B reads end inside that.
            Debug.Assert(chunkPixels % NR == 0 && packed.Length >= _k * chunkPixels && src0 + s.C * s.H * s.W <= x.Length);
            try
            {
                fixed (float* from = x.Data)
                fixed (float* to = packed)
                    PackColumns(from + src0, s.C, s.H, s.W, wo, p0, count, to, chunkPixels);
                fixed (float* a = _packedA)
                fixed (float* b = packed)
                fixed (int* offs = offsets)
                {
                    int tiles = (count + NR - 1) / NR;
                    for (int mb = 0; mb < _mBlocks; mb++)
                    for (int t = 0; t < tiles; t++)
                        ComputeTile(a + mb * _k * MR, b + t * NR, offs, mb, p0 + t * NR, target);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(packed);
            }
        });
    }

    /// <summary>
    /// The im2col rows of output pixels [p0, p0 + count) (row k = (c, ky, kx), chunk floats apart,
    /// zero past count): a run of one output row at a time, so the division into row and column is
    /// done once per run and each tap walks its input row with a fixed stride (a division per
    /// element made this packing most of a stride-2 layer's time).
    /// </summary>
    private void PackColumns(float* x, int channels, int h, int w, int wo, int p0, int count, float* packed, int chunk)
    {
        int stride = _op.Stride, pad = _op.Padding, dil = _op.Dilation, kh = _op.KernelH, kw = _op.KernelW;
        float* dst = packed;
        for (int c = 0; c < channels; c++)
        for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++, dst += chunk)
        {
            for (int j = 0; j < count;)
            {
                int oy = (p0 + j) / wo, ox0 = (p0 + j) % wo, len = Math.Min(wo - ox0, count - j);
                int iy = oy * stride - pad + ky * dil;
                float* d = dst + j;
                if ((uint)iy >= (uint)h)
                    new Span<float>(d, len).Clear();
                else
                {
                    float* row = x + ((long)c * h + iy) * w;
                    for (int i = 0, ix = ox0 * stride - pad + kx * dil; i < len; i++, ix += stride)
                        d[i] = (uint)ix < (uint)w ? row[ix] : 0f;
                }
                j += len;
            }
            new Span<float>(dst + count, chunk - count).Clear();
        }
    }

    private void ComputeTile(float* a, float* b, int* offs, int mb, int p0, in Target target)
    {
        float* tile = stackalloc float[MR * NR];
        Sgemm.Tile(a, b, offs, _k, tile);
        StoreTile(tile, mb, p0, target);
    }

    /// <summary>Adds bias, applies the activation and writes the valid pixels of one tile.</summary>
    private void StoreTile(float* tile, int mb, int p0, in Target t)
    {
        int rows = Math.Min(MR, _op.OutChannels - mb * MR);
        int y0 = p0 / t.Pitch, x0 = p0 % t.Pitch;
        bool relu = _op.Activation == Activation.Relu;
        // SAFETY: only pixels of rows < t.Rows and columns < t.Wo of output planes < OutChannels are written.
        Debug.Assert(t.Offset + (long)(_op.OutChannels - 1) * t.PlaneStride + (long)t.Rows * t.Wo <= t.Out.Length);
        fixed (float* outBase = t.Out)
        {
            for (int r = 0; r < rows; r++)
            {
                int co = mb * MR + r;
                var bias = Vector256.Create(_bias[co]);
                float* plane = outBase + t.Offset + co * t.PlaneStride;
                float* src = tile + r * NR;
                // The tile's columns, row by row of the computed grid: the part of each row inside
                // the output is stored, the padding columns past it are dropped.
                for (int j = 0, yy = y0, xx = x0; j < NR && yy < t.Rows; yy++, xx = 0)
                {
                    int run = Math.Min(NR - j, t.Pitch - xx), valid = Math.Max(0, Math.Min(run, t.Wo - xx));
                    float* dst = plane + yy * t.Wo + xx;
                    int c = 0;
                    for (; c + 8 <= valid; c += 8)
                    {
                        var v = Vector256.Load(src + j + c) + bias;
                        if (relu) v = Vector256.Max(v, Vector256<float>.Zero);
                        v.Store(dst + c);
                    }
                    for (; c < valid; c++)
                    {
                        float v = src[j + c] + bias.ToScalar();
                        dst[c] = relu && v < 0 ? 0 : v;
                    }
                    j += run;
                }
            }
        }
    }
}
