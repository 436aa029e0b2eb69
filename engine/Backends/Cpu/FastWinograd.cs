using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// 3×3 stride-1 convolution by Winograd F(m×m, 3×3), m = 4 or 2 (Lavin and Gray 2016): every
/// α×α input tile d (α = m + 2) and every kernel g are transformed (V = Bᵀ d B; U = G g Gᵀ once,
/// at prepare), the elementwise products summed over input channels become α² GEMMs
/// U[ξ] (Cout × Cin) · V[ξ] (Cin × tiles) on the <see cref="Sgemm"/> micro-kernel, and
/// Y = Aᵀ M A turns each α×α M into m×m outputs, with bias and activation fused there.
/// F(4,3): 36 multiplies per 16 outputs and channel pair instead of 144; F(2,3): 16 per 4
/// instead of 36, with transforms of 0, ±½, ±1 only, so it rounds like direct summation.
/// <para>
/// Dilation d is the polyphase decomposition: a tile's 4×4 outputs lie d apart and so do its
/// 6×6 inputs, so a dilated conv is d² independent stride-1 convs on interleaved sub-images,
/// read in place. The transforms run on 8 tiles at once (the lanes of a Vector256 are 8 tiles of
/// one tile row, gathered into a small buffer first).
/// </para>
/// <para>
/// Error: F(4,3)'s transforms have entries up to 8 (Aᵀ) and 5 (Bᵀ) and G has 1/24, so rounding
/// is amplified compared with direct summation, most where the data have a large common offset
/// (ReLU outputs) and the output is a small difference: fine for inference (measured ≤ 2e-6 of
/// Σ|w·x| on zero-mean data; ConvPathTests holds it to 2e-5). F(2,3) measures as accurate as
/// the GEMM paths (8e-8 of Σ|w·x|).
/// </para>
/// </summary>
// SAFETY: pointers only into the plan's arrays and stack buffers, pinned per method; each method asserts the sizes its indexing relies on.
internal sealed unsafe class FastWinograd : IPreparedOp
{
    private static readonly int MR = Sgemm.MR;
    private static readonly int NR = Sgemm.NR;
    private const int Lanes = 8;
    /// <summary>The most a thread's block of V and M may take: about a 1080p DnCNN layer's whole row (8.8 MB).</summary>
    private const long MaxBlockBytes = 9L << 20;

    private readonly Conv2dOp _op;
    private readonly int _tile;        // m: outputs per tile side (4 or 2)
    private readonly int _alpha;       // inputs per tile side, m + 2
    private readonly int _xi;          // α², the number of GEMMs
    private readonly int _cin, _cout, _mBlocks, _coutPad;
    private readonly float[] _u;       // α² × (mBlocks, Cin, MR): U[ξ] packed as GEMM A panels
    private readonly float[] _bias;    // (Cout)
    private readonly int[] _offsets;   // row k of a packed V tile is NR floats after row k−1
    private Plan? _plan;

    public static bool Applicable(Conv2dOp op) => op.KernelH == 3 && op.KernelW == 3 && op.Stride == 1;

    /// <param name="transposedFlipped">
    /// The weight is that of the forward conv whose ∂x this conv computes, (Cin, Cout, 3, 3) for this
    /// conv's Cout outputs: each kernel is read transposed in its channels and rotated 180°, with no
    /// rotated copy in between (training prepares every ∂x afresh each step).
    /// </param>
    public FastWinograd(Conv2dOp op, Tensor weight, Tensor? bias, int tile, bool transposedFlipped = false)
    {
        if (!Applicable(op)) throw new ArgumentException($"Winograd F({tile},3) needs a 3×3 stride-1 conv, got {op}");
        if (tile is not (2 or 4)) throw new ArgumentException($"Winograd tiles are 2 or 4 outputs wide, not {tile}");
        _op = op;
        _tile = tile;
        _alpha = tile + 2;
        _xi = _alpha * _alpha;
        _cin = op.InChannels;
        _cout = op.OutChannels;
        _mBlocks = (_cout + MR - 1) / MR;
        _coutPad = _mBlocks * MR;
        // From the open arena when training prepares it (every step, afresh); TransformWeights writes
        // every row of every panel (a partial last panel's spare rows as zeros).
        _u = TensorArena.Allocate(_xi * _mBlocks * _cin * MR, clear: false);
        _bias = bias is null ? new float[_cout] : bias.Span.ToArray();
        _offsets = new int[_cin];
        for (int k = 0; k < _cin; k++) _offsets[k] = k * NR;
        TransformWeights(weight.Data, transposedFlipped);
    }

    public Op Op => _op;

    /// <summary>
    /// U = G g Gᵀ for every (co, ci), in double, stored straight into the α² packed A matrices; g is
    /// w[co, ci], or w[ci, co] rotated 180° when <paramref name="transposedFlipped"/>. The MR output
    /// channels of one panel go across the lanes (two vectors of four doubles), so each U[ξ] entry of
    /// a panel row is one store: training transforms every Winograd conv's weights twice a step (the
    /// forward and ∂x), which one (co, ci) at a time, scattering single floats, took 32 ms of a 256²
    /// U-Net step. Each lane does the scalar formula's operations in its order, so U is the same bits.
    /// </summary>
    private void TransformWeights(float[] w, bool transposedFlipped)
    {
        int cin = _cin, cout = _cout, mBlocks = _mBlocks;
        if ((long)cin * cout * 9 > w.Length) throw new ArgumentException($"{w.Length} floats cannot hold {cout} × {cin} 3×3 kernels");
        Parallel.For(0, mBlocks, mb => TransformPanel(w, transposedFlipped, mb, Math.Min(MR, cout - mb * MR)));
    }

    /// <summary>U for the <paramref name="lanes"/> output channels of panel <paramref name="mb"/> and every input channel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformPanel(float[] weights, bool transposedFlipped, int mb, int lanes)
    {
        int cin = _cin, cout = _cout, mBlocks = _mBlocks, alpha = _alpha, tile = _tile, mr = MR;
        // SAFETY: lanes ≤ MR ≤ 8 channels of the panel, each reading its 9 taps of w[co, ci] (or w[ci, co]) below
        // cin·cout·9 ≤ w.Length (checked by the caller); the stores are the panel's MR floats of row ci in U[ξ].
        Debug.Assert(lanes <= mr && mr <= 8 && _u.Length >= (long)_xi * mBlocks * cin * mr && (long)cin * cout * 9 <= weights.Length);
        fixed (float* w = weights)
        fixed (float* u = _u)
        {
            var taps = stackalloc float[9 * 8];
            var lanesOut = stackalloc float[8];
            var low = stackalloc Vector256<double>[9];
            var high = stackalloc Vector256<double>[9];
            var columnsLow = stackalloc Vector256<double>[6 * 3];
            var columnsHigh = stackalloc Vector256<double>[6 * 3];
            var rowLow = stackalloc Vector256<double>[6];
            var rowHigh = stackalloc Vector256<double>[6];
            new Span<float>(taps, 9 * 8).Clear();
            for (int ci = 0; ci < cin; ci++)
            {
                // taps[t·8 + l] is tap t = 3r + c of lane l's kernel: w[src + t], or w[src + 8 − t] rotated.
                for (int l = 0; l < lanes; l++)
                {
                    int co = mb * mr + l;
                    float* src = w + (transposedFlipped ? ((long)ci * cout + co) * 9 : ((long)co * cin + ci) * 9);
                    for (int t = 0; t < 9; t++) taps[t * 8 + l] = transposedFlipped ? src[8 - t] : src[t];
                }
                for (int t = 0; t < 9; t++)
                {
                    var (lo, hi) = Vector256.Widen(Vector256.Load(taps + t * 8));
                    low[t] = lo;
                    high[t] = hi;
                }
                for (int c = 0; c < 3; c++)
                {
                    ApplyG(tile, low[c], low[3 + c], low[6 + c], columnsLow + c, 3);
                    ApplyG(tile, high[c], high[3 + c], high[6 + c], columnsHigh + c, 3);
                }
                for (int i = 0; i < alpha; i++)
                {
                    ApplyG(tile, columnsLow[i * 3], columnsLow[i * 3 + 1], columnsLow[i * 3 + 2], rowLow, 1);
                    ApplyG(tile, columnsHigh[i * 3], columnsHigh[i * 3 + 1], columnsHigh[i * 3 + 2], rowHigh, 1);
                    for (int j = 0; j < alpha; j++)
                    {
                        var values = Vector256.Create(Vector256.Narrow(rowLow[j], Vector256<double>.Zero).GetLower(),
                            Vector256.Narrow(rowHigh[j], Vector256<double>.Zero).GetLower());
                        float* dst = u + (((long)(i * alpha + j) * mBlocks + mb) * cin + ci) * mr;
                        if (mr == 8) values.Store(dst);
                        else
                        {
                            values.Store(lanesOut);
                            for (int l = 0; l < mr; l++) dst[l] = lanesOut[l];
                        }
                    }
                }
            }
        }
    }

    /// <summary>The α entries of G·(g0, g1, g2)ᵀ, four kernels at once, written to dst[0], dst[stride], …</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyG(int tile, Vector256<double> g0, Vector256<double> g1, Vector256<double> g2, Vector256<double>* dst, int stride)
    {
        if (tile == 2)
        {
            dst[0] = g0;
            dst[stride] = (g0 + g1 + g2) * 0.5;
            dst[2 * stride] = (g0 - g1 + g2) * 0.5;
            dst[3 * stride] = g2;
            return;
        }
        // Multiplications by the rounded reciprocals, not divisions: the operations of the scalar code U was
        // first computed with, so it keeps its bits.
        const double Sixth = 1.0 / 6, Twelfth = 1.0 / 12, TwentyFourth = 1.0 / 24;
        var even = g0 + g2;
        dst[0] = g0 * 0.25;
        dst[stride] = -(even + g1) * Sixth;
        dst[2 * stride] = -(even - g1) * Sixth;
        var a = g0 * TwentyFourth + g2 * Sixth;
        var b = g1 * Twelfth;
        dst[3 * stride] = a + b;
        dst[4 * stride] = a - b;
        dst[5 * stride] = g2;
    }

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(_op, y, activations);
        var x = activations[0];
        var plan = _plan;
        if (plan is null || plan.H != x.Shape.H || plan.W != x.Shape.W) _plan = plan = new Plan(this, x.Shape.H, x.Shape.W, y.Shape.H, y.Shape.W);
        // The plan's scratch is shared: one run at a time per prepared op.
        lock (plan)
            for (int n = 0; n < x.Shape.N; n++) plan.Run(x.Data, n * _cin * plan.H * plan.W, y.Data, n * _cout * plan.Ho * plan.Wo);
    }

    /// <summary>
    /// Everything that depends on the input size, made once per size: how output tiles map to
    /// slots (GEMM columns), how slots are grouped into blocks, and the scratch buffers.
    /// </summary>
    private sealed class Plan
    {
        public readonly int H, W, Ho, Wo;
        private readonly FastWinograd _c;
        private readonly int _d, _p;
        private readonly int _slotsPerRow;     // slots of one tile row, a multiple of 8
        private readonly int[] _rowPhase, _rowTile; // per tile row: its output row phase b and tile index ty
        private readonly int _m, _alpha, _xi;
        private readonly bool _contiguous;
        private readonly int[] _columnIndex;   // [c · slotsPerRow + s]: input column (padded coordinates) of tap c
        private readonly int[] _outColumn;     // [c · slotsPerRow + s]: output column, or −1
        private readonly int _rowLength;       // padded row buffer length, the last cell always 0
        private readonly int _rowsPerBlock, _chunk, _chunks, _blocks, _blockSlots, _threads;
        private readonly (int Lo, int Hi)[] _chunkColumns; // per chunk: the padded input columns its taps read
        private readonly bool _perThreadBlocks;
        private readonly float[][] _v, _mm;    // per workspace: V (α², NT, Cin, NR), M (α², CoutPad, blockSlots)
        private readonly long _vPlane, _mPlane; // floats from one ξ's V (M) to the next's
        private readonly float[][] _z, _rows;  // per thread: gathered taps (α, α, slotsPerRow), padded row
        private readonly float[] _zeroRow;

        private float[] _x = null!, _y = null!;
        private int _xOffset, _yOffset;
        private int _nextBlock;

        public Plan(FastWinograd c, int h, int w, int ho, int wo)
        {
            _c = c;
            H = h; W = w; Ho = ho; Wo = wo;
            _d = c._op.Dilation;
            _p = c._op.Padding;
            _m = c._tile;
            _alpha = c._alpha;
            _xi = c._xi;
            int d = _d, m = _m;

            // Columns: phase a (output column ≡ a mod d), then tiles of m outputs d apart.
            var slotPhase = new List<int>();
            var slotTile = new List<int>();
            for (int a = 0; a < Math.Min(d, wo); a++)
            {
                int count = (wo - a + d - 1) / d, tiles = (count + m - 1) / m;
                for (int t = 0; t < tiles; t++) { slotPhase.Add(a); slotTile.Add(t); }
            }
            _slotsPerRow = (slotPhase.Count + Lanes - 1) / Lanes * Lanes;
            int maxColumn = 0;
            for (int s = 0; s < slotPhase.Count; s++) maxColumn = Math.Max(maxColumn, slotPhase[s] + d * (m * slotTile[s] + _alpha - 1));
            // F(4,3) without dilation has one phase and slot s starts at column 4s: the taps are
            // gathered and the outputs scattered with 4×8 in-register transposes (the fast case).
            _contiguous = d == 1 && m == 4 && Avx.IsSupported;
            _rowLength = Math.Max(Math.Max(maxColumn + 1, w + _p) + 1, _contiguous ? 4 * _slotsPerRow + 2 : 0);
            _columnIndex = new int[_alpha * _slotsPerRow];
            _outColumn = new int[m * _slotsPerRow];
            for (int cc = 0; cc < _alpha; cc++)
            for (int s = 0; s < _slotsPerRow; s++)
            {
                bool real = s < slotPhase.Count;
                _columnIndex[cc * _slotsPerRow + s] = real ? slotPhase[s] + d * (m * slotTile[s] + cc) : _rowLength - 1;
                if (cc < m)
                {
                    int ox = real ? slotPhase[s] + d * (m * slotTile[s] + cc) : -1;
                    _outColumn[cc * _slotsPerRow + s] = ox < wo ? ox : -1;
                }
            }

            var rowPhase = new List<int>();
            var rowTile = new List<int>();
            for (int b = 0; b < Math.Min(d, ho); b++)
            {
                int count = (ho - b + d - 1) / d, tiles = (count + m - 1) / m;
                for (int t = 0; t < tiles; t++) { rowPhase.Add(b); rowTile.Add(t); }
            }
            _rowPhase = rowPhase.ToArray();
            _rowTile = rowTile.ToArray();

            // A block's V and M should stay near L2 (Cin and Cout rows of α² × slots floats each),
            // and hold at least 64 slots so each packed U panel is used for 4 micro-tiles or more.
            // A block is whole tile rows, or a chunk of one whose V and M would pass MaxBlockBytes:
            // a 4K row (960 slots, 17.7 MB for DnCNN's layers) made each thread's block too large for
            // the L3 the threads share; in two chunks DnCNN-B on a 4K frame took a median 0.95 of the
            // time (6 interleaved pairs, 0.88–1.02, on a noisy 2-core machine).
            _threads = Environment.ProcessorCount;
            int target = Math.Clamp(11000 * 36 / _xi / (c._cin + c._coutPad), 64, 256);
            int rowsPerBlock = Math.Max(1, target / _slotsPerRow);
            int widest = (int)Math.Max(target, MaxBlockBytes / (4L * _xi * (c._cin + c._coutPad)));
            int chunks = (_slotsPerRow + widest - 1) / widest;
            int chunk = chunks == 1 ? _slotsPerRow : ((_slotsPerRow + chunks - 1) / chunks + NR - 1) / NR * NR;
            chunks = (_slotsPerRow + chunk - 1) / chunk;
            int blocks = (_rowPhase.Length + rowsPerBlock - 1) / rowsPerBlock * chunks;
            _perThreadBlocks = blocks >= 2 * _threads;
            if (!_perThreadBlocks)
            {
                // Few tiles (small maps, wide layers): one block, threads split each phase.
                (rowsPerBlock, chunk, chunks, blocks) = (_rowPhase.Length, _slotsPerRow, 1, 1);
            }
            _rowsPerBlock = rowsPerBlock;
            _chunk = chunk;
            _chunks = chunks;
            _blocks = blocks;
            _blockSlots = (rowsPerBlock * chunk + NR - 1) / NR * NR;
            _chunkColumns = new (int, int)[chunks];
            for (int k = 0; k < chunks; k++)
            {
                int s0 = k * chunk, s1 = Math.Min(_slotsPerRow, s0 + chunk), lo = int.MaxValue, hi = 0;
                for (int cc = 0; cc < _alpha; cc++)
                for (int sl = s0; sl < s1; sl++)
                    (lo, hi) = (Math.Min(lo, _columnIndex[cc * _slotsPerRow + sl]), Math.Max(hi, _columnIndex[cc * _slotsPerRow + sl] + 1));
                // The contiguous gather reads 4 columns a slot and two more, spare slots' included.
                _chunkColumns[k] = _contiguous ? (4 * s0, 4 * s1 + 2) : (lo, hi);
            }
            int workspaces = _perThreadBlocks ? _threads : 1;
            // The transforms touch all α² planes of V (M) at one slot: at a stride that is a
            // multiple of 4 KiB (16 KiB for 64 channels) those 36 lines share one L1 set and
            // evict each other, tripling the transforms' time. One cache line more spreads them.
            _vPlane = (long)c._cin * _blockSlots + PlanePad(c._cin * _blockSlots);
            _mPlane = (long)c._coutPad * _blockSlots + PlanePad(c._coutPad * _blockSlots);
            // The scratch comes from the open arena when training runs the op (prepared every step),
            // else it is the plan's own for every frame to come.
            _v = new float[workspaces][];
            _mm = new float[workspaces][];
            for (int i = 0; i < workspaces; i++)
            {
                // Columns past the last tile row are computed and dropped; keep them finite (zeroed).
                _v[i] = TensorArena.Allocate((int)(_xi * _vPlane));
                _mm[i] = TensorArena.Allocate((int)(_xi * _mPlane), clear: false);
            }
            _z = new float[_threads][];
            _rows = new float[_threads][];
            for (int i = 0; i < _threads; i++)
            {
                _z[i] = TensorArena.Allocate(_xi * _slotsPerRow, clear: false);
                _rows[i] = TensorArena.Allocate(_rowLength);
            }
            _zeroRow = TensorArena.Allocate(_rowLength);
        }

        public void Run(float[] x, int xOffset, float[] y, int yOffset)
        {
            _x = x; _xOffset = xOffset; _y = y; _yOffset = yOffset;
            if (_perThreadBlocks)
            {
                _nextBlock = 0;
                Parallel.For(0, _threads, t =>
                {
                    int block;
                    while ((block = Interlocked.Increment(ref _nextBlock) - 1) < _blocks)
                    {
                        InputTransform(block, t, t, 0, _c._cin);
                        Gemm(block, t, 0, _xi);
                        OutputTransform(block, t, 0, _c._cout);
                    }
                });
            }
            else
            {
                int t = _threads;
                Parallel.For(0, t, i => InputTransform(0, 0, i, _c._cin * i / t, _c._cin * (i + 1) / t));
                Parallel.For(0, t, i => Gemm(0, 0, _xi * i / t, _xi * (i + 1) / t));
                Parallel.For(0, t, i => OutputTransform(0, 0, _c._cout * i / t, _c._cout * (i + 1) / t));
            }
            _x = null!; _y = null!;
        }

        /// <summary>Floats added to a plane of n so that consecutive planes start one cache line (16 floats) past a multiple of 4 KiB from each other, in consecutive L1 sets.</summary>
        private static int PlanePad(int n) => ((16 - n % 1024) % 1024 + 1024) % 1024;

        /// <summary>A block's tile rows [First, End) and, of each, the slots [S0, S1) of its chunk (<see cref="_chunkColumns"/>[Chunk] the columns they read).</summary>
        private (int First, int End, int Chunk, int S0, int S1) BlockSlots(int block)
        {
            int rows = block / _chunks, chunk = block % _chunks;
            return (rows * _rowsPerBlock, Math.Min(_rowPhase.Length, (rows + 1) * _rowsPerBlock),
                chunk, chunk * _chunk, Math.Min(_slotsPerRow, (chunk + 1) * _chunk));
        }

        /// <summary>V[ξ][slot / NR][ci][slot % NR] for input channels [ci0, ci1) of the block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // full JIT from the first frame
        private void InputTransform(int block, int workspace, int thread, int ci0, int ci1)
        {
            var (first, end, chunk, s0, s1) = BlockSlots(block);
            int spr = _slotsPerRow, n = s1 - s0, cin = _c._cin, d = _d, alpha = _alpha, m = _m;
            // The input columns the chunk's taps read, clipped to the row: the rest of the row buffer is its
            // zero padding, or columns this chunk does not read.
            var (lo, hi) = _chunkColumns[chunk];
            int from = Math.Max(lo - _p, 0), count = Math.Min(hi - _p, W) - from;
            // SAFETY: a copied span lands inside [p, p + W) of the row buffer and the taps' column indices are below
            // _rowLength (the contiguous gather reads up to 4·s1 + 1); z holds α² rows of n ≤ spr; the block's
            // slots < _blockSlots put each 8-float V store inside its plane (NR a multiple of 8).
            Debug.Assert(_p + W < _rowLength && (!_contiguous || 4 * spr + 2 <= _rowLength) && _z[thread].Length >= _xi * spr);
            Debug.Assert((end - first) * n <= _blockSlots && n % Lanes == 0 && NR % Lanes == 0 && _v[workspace].Length >= _xi * _vPlane);
            Debug.Assert(_xOffset + (long)ci1 * H * W <= _x.Length && _columnIndex.All(c => c < _rowLength));
            fixed (float* x = _x)
            fixed (float* v = _v[workspace])
            fixed (float* z = _z[thread])
            fixed (float* rowBuffer = _rows[thread])
            fixed (float* zero = _zeroRow)
            fixed (int* columns = _columnIndex)
            {
                var t = stackalloc Vector256<float>[36];
                var o = stackalloc Vector256<float>[6];
                for (int ci = ci0; ci < ci1; ci++)
                {
                    float* plane = x + _xOffset + ci * H * W;
                    for (int row = first; row < end; row++)
                    {
                        int r0 = _rowPhase[row] + d * m * _rowTile[row] - _p;
                        for (int r = 0; r < alpha; r++)
                        {
                            int iy = r0 + d * r;
                            float* src = zero;
                            if ((uint)iy < (uint)H)
                            {
                                if (count > 0) Buffer.MemoryCopy(plane + iy * W + from, rowBuffer + _p + from, (long)count * 4, (long)count * 4);
                                src = rowBuffer;
                            }
                            if (_contiguous)
                            {
                                GatherContiguous(src + 4 * s0, z + r * alpha * n, n);
                                continue;
                            }
                            for (int cc = 0; cc < alpha; cc++)
                            {
                                float* dst = z + (r * alpha + cc) * n;
                                int* idx = columns + cc * spr + s0;
                                for (int s = 0; s < n; s++) dst[s] = src[idx[s]];
                            }
                        }
                        int slotBase = (row - first) * n;
                        for (int s = 0; s < n; s += Lanes)
                        {
                            float* zs = z + s;
                            int step = alpha * n;
                            for (int cc = 0; cc < alpha; cc++)
                            {
                                float* zc = zs + cc * n;
                                if (m == 4)
                                    TransformB(Vector256.Load(zc), Vector256.Load(zc + step), Vector256.Load(zc + 2 * step),
                                        Vector256.Load(zc + 3 * step), Vector256.Load(zc + 4 * step), Vector256.Load(zc + 5 * step), t + cc, alpha);
                                else
                                    TransformB2(Vector256.Load(zc), Vector256.Load(zc + step), Vector256.Load(zc + 2 * step),
                                        Vector256.Load(zc + 3 * step), t + cc, alpha);
                            }
                            int slot = slotBase + s;
                            float* dst = v + ((long)(slot / NR) * cin + ci) * NR + slot % NR;
                            long xiStride = _vPlane;
                            for (int i = 0; i < alpha; i++)
                            {
                                var ti = t + i * alpha;
                                if (m == 4) TransformB(ti[0], ti[1], ti[2], ti[3], ti[4], ti[5], o, 1);
                                else TransformB2(ti[0], ti[1], ti[2], ti[3], o, 1);
                                for (int j = 0; j < alpha; j++) o[j].Store(dst + (i * alpha + j) * xiStride);
                            }
                        }
                    }
                }
            }
        }

        /// <summary>M[ξ] = U[ξ] · V[ξ] for ξ in [xi0, xi1).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // full JIT from the first frame
        private void Gemm(int block, int workspace, int xi0, int xi1)
        {
            int cin = _c._cin, mBlocks = _c._mBlocks, nt = _blockSlots / NR, ld = _blockSlots;
            // SAFETY: U[ξ]'s panels are cin × MR floats each; V[ξ]'s column block j is cin × NR floats below
            // _blockSlots·cin; M[ξ]'s tiles are MR rows of NR at pitch _blockSlots below CoutPad rows.
            Debug.Assert(_c._u.Length >= (long)_xi * mBlocks * cin * MR && _blockSlots % NR == 0);
            Debug.Assert(_v[workspace].Length >= _xi * _vPlane && _mm[workspace].Length >= _xi * _mPlane);
            fixed (float* u = _c._u)
            fixed (float* v = _v[workspace])
            fixed (float* m = _mm[workspace])
            fixed (int* offsets = _c._offsets)
            {
                for (int xi = xi0; xi < xi1; xi++)
                {
                    float* vx = v + xi * _vPlane;
                    float* mx = m + xi * _mPlane;
                    for (int mb = 0; mb < mBlocks; mb++)
                    {
                        float* a = u + ((long)xi * mBlocks + mb) * cin * MR;
                        for (int j = 0; j < nt; j++)
                            Sgemm.Tile(a, vx + (long)j * cin * NR, offsets, cin, mx + (long)mb * MR * ld + j * NR, ld);
                    }
                }
            }
        }

        /// <summary>Y = Aᵀ M A + bias (+ activation) for output channels [co0, co1), scattered to y.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // full JIT from the first frame
        private void OutputTransform(int block, int workspace, int co0, int co1)
        {
            var (first, end, _, s0, s1) = BlockSlots(block);
            int spr = _slotsPerRow, n = s1 - s0, ld = _blockSlots, d = _d, alpha = _alpha, mt = _m;
            long xiStride = _mPlane;
            bool relu = _c._op.Activation == Activation.Relu;
            // SAFETY: M's 8-float loads are at slot < _blockSlots of row co < CoutPad in planes ξ < α²; the output
            // columns are below Wo or −1 (skipped), and a dense group's last column is checked before its 32 stores.
            Debug.Assert((end - first) * n <= _blockSlots && _mm[workspace].Length >= _xi * _mPlane);
            Debug.Assert(_yOffset + (long)co1 * Ho * Wo <= _y.Length && _outColumn.All(c => c < Wo));
            fixed (float* m = _mm[workspace])
            fixed (float* y = _y)
            fixed (int* outColumns = _outColumn)
            {
                var t = stackalloc Vector256<float>[4 * 6];
                var o = stackalloc float[16 * Lanes];
                var q = stackalloc Vector256<float>[4];
                for (int co = co0; co < co1; co++)
                {
                    var bias = Vector256.Create(_c._bias[co]);
                    float* plane = y + _yOffset + (long)co * Ho * Wo;
                    float* mc = m + (long)co * ld;
                    for (int row = first; row < end; row++)
                    {
                        int oy0 = _rowPhase[row] + d * mt * _rowTile[row];
                        int slotBase = (row - first) * n;
                        for (int s = 0; s < n; s += Lanes)
                        {
                            float* ms = mc + slotBase + s;
                            long step = alpha * xiStride;
                            for (int j = 0; j < alpha; j++)
                            {
                                float* mj = ms + j * xiStride;
                                if (mt == 4)
                                    TransformA(Vector256.Load(mj), Vector256.Load(mj + step), Vector256.Load(mj + 2 * step),
                                        Vector256.Load(mj + 3 * step), Vector256.Load(mj + 4 * step), Vector256.Load(mj + 5 * step), t + j, alpha);
                                else
                                    TransformA2(Vector256.Load(mj), Vector256.Load(mj + step), Vector256.Load(mj + 2 * step),
                                        Vector256.Load(mj + 3 * step), t + j, alpha);
                            }
                            for (int r = 0; r < mt; r++)
                            {
                                var tr = t + r * alpha;
                                if (mt == 4) TransformA(tr[0], tr[1], tr[2], tr[3], tr[4], tr[5], q, 1);
                                else TransformA2(tr[0], tr[1], tr[2], tr[3], q, 1);
                                for (int cc = 0; cc < mt; cc++)
                                {
                                    var val = q[cc] + bias;
                                    if (relu) val = Vector256.Max(val, Vector256<float>.Zero);
                                    val.Store(o + (r * mt + cc) * Lanes);
                                }
                            }
                            int slot = s0 + s;
                            bool dense = _contiguous && outColumns[3 * spr + slot + Lanes - 1] >= 0;
                            for (int r = 0; r < mt; r++)
                            {
                                int oy = oy0 + d * r;
                                if (oy >= Ho) break;
                                float* dst = plane + (long)oy * Wo;
                                if (dense)
                                {
                                    // 8 tiles × 4 columns = 32 consecutive outputs of this row.
                                    float* src = o + r * 4 * Lanes;
                                    Interleave4(Vector256.Load(src), Vector256.Load(src + Lanes), Vector256.Load(src + 2 * Lanes),
                                        Vector256.Load(src + 3 * Lanes), dst + outColumns[slot]);
                                    continue;
                                }
                                for (int cc = 0; cc < mt; cc++)
                                {
                                    int* cols = outColumns + cc * spr + slot;
                                    float* src = o + (r * mt + cc) * Lanes;
                                    for (int l = 0; l < Lanes; l++)
                                        if (cols[l] >= 0) dst[cols[l]] = src[l];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Taps c = 0…5 of every slot s of one padded input row (column 4s + c), for F(4,3) without
    /// dilation: c = 0…3 by de-interleaving 32 columns into 4 vectors of 8 slots, c = 4, 5 are
    /// c = 0, 1 one slot on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // full JIT from the first frame
    internal static void GatherContiguous(float* row, float* z, int spr)
    {
        // SAFETY: reads row[0, 4·spr + 2) and writes z[0, 6·spr): the caller's row buffer and tap rows hold that.
        for (int s = 0; s < spr; s += Lanes)
        {
            float* src = row + 4 * s;
            var v0 = Vector256.Load(src);
            var v1 = Vector256.Load(src + 8);
            var v2 = Vector256.Load(src + 16);
            var v3 = Vector256.Load(src + 24);
            var p0 = Avx.Permute2x128(v0, v2, 0x20);
            var p1 = Avx.Permute2x128(v0, v2, 0x31);
            var p2 = Avx.Permute2x128(v1, v3, 0x20);
            var p3 = Avx.Permute2x128(v1, v3, 0x31);
            var a = Avx.UnpackLow(p0, p1);
            var b = Avx.UnpackHigh(p0, p1);
            var c = Avx.UnpackLow(p2, p3);
            var e = Avx.UnpackHigh(p2, p3);
            Avx.Shuffle(a, c, 0x44).Store(z + s);
            Avx.Shuffle(a, c, 0xEE).Store(z + spr + s);
            Avx.Shuffle(b, e, 0x44).Store(z + 2 * spr + s);
            Avx.Shuffle(b, e, 0xEE).Store(z + 3 * spr + s);
        }
        Buffer.MemoryCopy(z + 1, z + 4 * spr, (spr - 1) * 4L, (spr - 1) * 4L);
        Buffer.MemoryCopy(z + spr + 1, z + 5 * spr, (spr - 1) * 4L, (spr - 1) * 4L);
        z[5 * spr - 1] = row[4 * spr];
        z[6 * spr - 1] = row[4 * spr + 1];
    }

    /// <summary>The inverse of <see cref="GatherContiguous"/>'s transpose: column c of 8 tiles → 32 consecutive floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave4(Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> w3, float* dst)
    {
        // SAFETY: writes dst[0, 32); the caller checked that the group's last output column is inside the row.
        var a = Avx.UnpackLow(w0, w1);
        var b = Avx.UnpackHigh(w0, w1);
        var c = Avx.UnpackLow(w2, w3);
        var e = Avx.UnpackHigh(w2, w3);
        var p0 = Avx.Shuffle(a, c, 0x44);
        var p1 = Avx.Shuffle(a, c, 0xEE);
        var p2 = Avx.Shuffle(b, e, 0x44);
        var p3 = Avx.Shuffle(b, e, 0xEE);
        Avx.Permute2x128(p0, p1, 0x20).Store(dst);
        Avx.Permute2x128(p2, p3, 0x20).Store(dst + 8);
        Avx.Permute2x128(p0, p1, 0x31).Store(dst + 16);
        Avx.Permute2x128(p2, p3, 0x31).Store(dst + 24);
    }

    /// <summary>Bᵀ·(d0 … d5): the input transform along one axis, results dst[0], dst[stride], …</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void TransformB(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3,
        Vector256<float> d4, Vector256<float> d5, Vector256<float>* dst, int stride)
    {
        var four = Vector256.Create(4f);
        var five = Vector256.Create(5f);
        var t1 = d4 - four * d2;
        var t2 = d3 - four * d1;
        var t3 = d4 - d2;
        var t4 = (d3 - d1) * 2f;
        dst[0] = four * d0 - five * d2 + d4;
        dst[stride] = t1 + t2;
        dst[2 * stride] = t1 - t2;
        dst[3 * stride] = t3 + t4;
        dst[4 * stride] = t3 - t4;
        dst[5 * stride] = four * d1 - five * d3 + d5;
    }

    /// <summary>F(2,3)'s Bᵀ·(d0 … d3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformB2(Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3,
        Vector256<float>* dst, int stride)
    {
        dst[0] = d0 - d2;
        dst[stride] = d1 + d2;
        dst[2 * stride] = d2 - d1;
        dst[3 * stride] = d1 - d3;
    }

    /// <summary>F(2,3)'s Aᵀ·(m0 … m3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformA2(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3,
        Vector256<float>* dst, int stride)
    {
        dst[0] = m0 + m1 + m2;
        dst[stride] = m1 - m2 - m3;
    }

    /// <summary>Aᵀ·(m0 … m5): the output transform along one axis, results dst[0], dst[stride], dst[2·stride], dst[3·stride].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformA(Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3,
        Vector256<float> m4, Vector256<float> m5, Vector256<float>* dst, int stride)
    {
        var s1 = m1 + m2;
        var s2 = m3 + m4;
        var d1 = m1 - m2;
        var d2 = m3 - m4;
        dst[0] = m0 + s1 + s2;
        dst[stride] = d1 + d2 * 2f;
        dst[2 * stride] = s1 + s2 * 4f;
        dst[3 * stride] = d1 + d2 * 8f + m5;
    }
}
