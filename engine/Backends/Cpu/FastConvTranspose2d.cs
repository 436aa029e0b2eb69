using System.Diagnostics;
using System.Buffers;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// Transposed convolution as GEMM + col2im: cols[(co, ky, kx) × pixel] = Wᵀ · X over the input
/// pixels (the <see cref="Sgemm"/> kernel with B = X, dense), then every column entry is added
/// onto the output pixel it lands on. Threads split the scatter by output channel, so no two
/// write the same plane.
/// </summary>
// SAFETY: pointers only in RunInto's fixed block, whose comment states its bounds.
internal sealed unsafe class FastConvTranspose2d : IPreparedOp
{
    private static readonly int MR = Sgemm.MR;
    private static readonly int NR = Sgemm.NR;
    private const int TilesPerChunk = 8;

    private readonly ConvTranspose2dOp _op;
    private readonly int _rows; // Cout·K·K
    private readonly float[] _packedA; // (ceil(rows/MR), Cin, MR)
    private readonly float[] _bias;

    public FastConvTranspose2d(ConvTranspose2dOp op, Tensor weight, Tensor? bias)
    {
        _op = op;
        int kk = op.Kernel * op.Kernel;
        _rows = op.OutChannels * kk;
        // weight (Cin, Cout, K, K): row m = (co, ky, kx), column = ci.
        _packedA = Sgemm.PackA(_rows, op.InChannels, (m, ci) => weight.Data[(ci * op.OutChannels + m / kk) * kk + m % kk]);
        _bias = bias is null ? new float[op.OutChannels] : bias.Span.ToArray();
    }

    public Op Op => _op;

    public void RunInto(Tensor y, params Tensor[] activations)
    {
        BackendExtensions.CheckOutput(_op, y, activations);
        var x = activations[0];
        var s = x.Shape;
        int pixels = s.H * s.W;
        int tiles = (pixels + NR - 1) / NR;
        int pitch = tiles * NR;
        // B rows must be readable NR floats past the last pixel: copy X into a padded pitch.
        var b = ArrayPool<float>.Shared.Rent(s.C * pitch);
        var cols = ArrayPool<float>.Shared.Rent(_rows * pitch);
        try
        {
            var offsets = new int[s.C];
            for (int c = 0; c < s.C; c++) offsets[c] = c * pitch;
            for (int n = 0; n < s.N; n++)
            {
                for (int c = 0; c < s.C; c++)
                {
                    Array.Copy(x.Data, (n * s.C + c) * pixels, b, c * pitch, pixels);
                    Array.Clear(b, c * pitch + pixels, pitch - pixels);
                }
                int mBlocks = (_rows + MR - 1) / MR;
                int chunks = (tiles + TilesPerChunk - 1) / TilesPerChunk;
                // SAFETY: tile t reads B at t·NR + offsets[c] + NR ≤ C·pitch and A panels < mBlocks; the rows it copies
                // out are < _rows, each NR floats at t·NR < pitch.
                Debug.Assert(b.Length >= s.C * pitch && cols.Length >= _rows * pitch && _packedA.Length >= mBlocks * s.C * MR);
                Parallel.For(0, chunks, chunk =>
                {
                    float* tile = stackalloc float[MR * NR];
                    fixed (float* a = _packedA)
                    fixed (float* bp = b)
                    fixed (float* cp = cols)
                    fixed (int* offs = offsets)
                    {
                        int t1 = Math.Min(tiles, (chunk + 1) * TilesPerChunk);
                        for (int mb = 0; mb < mBlocks; mb++)
                        for (int t = chunk * TilesPerChunk; t < t1; t++)
                        {
                            Sgemm.Tile(a + mb * s.C * MR, bp + t * NR, offs, s.C, tile);
                            int rows = Math.Min(MR, _rows - mb * MR);
                            for (int r = 0; r < rows; r++)
                                Buffer.MemoryCopy(tile + r * NR, cp + (mb * MR + r) * pitch + t * NR, NR * 4, NR * 4);
                        }
                    }
                });
                Scatter(cols, pitch, s, y, n);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(b);
            ArrayPool<float>.Shared.Return(cols);
        }
    }

    private void Scatter(float[] cols, int pitch, Shape s, Tensor y, int n)
    {
        int k = _op.Kernel, ho = y.Shape.H, wo = y.Shape.W;
        Parallel.For(0, _op.OutChannels, co =>
        {
            var plane = y.Data.AsSpan((n * _op.OutChannels + co) * ho * wo, ho * wo);
            plane.Fill(_bias[co]);
            for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
            {
                int row = ((co * k + ky) * k + kx) * pitch;
                for (int iy = 0; iy < s.H; iy++)
                {
                    int oy = iy * _op.Stride - _op.Padding + ky;
                    if ((uint)oy >= (uint)ho) continue;
                    for (int ix = 0; ix < s.W; ix++)
                    {
                        int ox = ix * _op.Stride - _op.Padding + kx;
                        if ((uint)ox < (uint)wo) plane[oy * wo + ox] += cols[row + iy * s.W + ix];
                    }
                }
            }
            if (_op.Activation == Activation.Relu)
                System.Numerics.Tensors.TensorPrimitives.Max(plane, 0f, plane);
        });
    }
}
