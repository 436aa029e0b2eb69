using System.Buffers;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Tensors;

namespace Reel.Engine.Training;

/// <summary>
/// ∂L/∂W of a k×k stride-1 "same" conv as one GEMM: dW[co, (ci, ky, kx)] = Σ_p dY[co, p] · X̂[p, (ci, ky, kx)],
/// where X̂ is the transposed im2col of the zero-padded input. dY is packed as A (depth = pixels)
/// and X̂ is built a chunk of pixels at a time as B, so memory stays bounded for large frames;
/// the <see cref="Sgemm"/> tile is accumulated over the chunks in double.
/// </summary>
internal static unsafe class ConvWeightGradient
{
    private const int MR = Sgemm.MR;
    private const int NR = Sgemm.NR;
    /// <summary>Float sums run over at most this many pixels; chunks add up in double, as precise as PyTorch's.</summary>
    private const int ChunkPixels = 64;

    /// <summary>Adds ∂L/∂W for input x (1, Cin, H, W) and output gradient dy (1, Cout, H, W) into dw (Cout, Cin, k, k).</summary>
    public static void Accumulate(Tensor x, Tensor dy, int k, Tensor dw)
    {
        int cin = x.Shape.C, cout = dy.Shape.C, h = x.Shape.H, w = x.Shape.W, pixels = h * w, pad = k / 2;
        int depthK = cin * k * k, paddedK = (depthK + NR - 1) / NR * NR;
        int mBlocks = (cout + MR - 1) / MR, nTiles = paddedK / NR;
        var packedA = Sgemm.PackA(cout, pixels, (co, p) => dy.Data[co * pixels + p]);
        var b = ArrayPool<float>.Shared.Rent(ChunkPixels * paddedK);
        var acc = new double[mBlocks * MR * paddedK];
        try
        {
            for (int p0 = 0; p0 < pixels; p0 += ChunkPixels)
            {
                int count = Math.Min(ChunkPixels, pixels - p0);
                Parallel.For(0, count, j =>
                {
                    int p = p0 + j, oy = p / w, ox = p % w;
                    var row = b.AsSpan(j * paddedK, paddedK);
                    int kk = 0;
                    for (int c = 0; c < cin; c++)
                    for (int ky = 0; ky < k; ky++)
                    {
                        int iy = oy + ky - pad;
                        for (int kx = 0; kx < k; kx++, kk++)
                        {
                            int ix = ox + kx - pad;
                            row[kk] = (uint)iy < (uint)h && (uint)ix < (uint)w ? x.Data[(c * h + iy) * w + ix] : 0f;
                        }
                    }
                    row[depthK..].Clear();
                });
                var offsets = new int[count];
                for (int j = 0; j < count; j++) offsets[j] = j * paddedK;
                Parallel.For(0, mBlocks * nTiles, job =>
                {
                    int mb = job / nTiles, nt = job % nTiles;
                    float* tile = stackalloc float[MR * NR];
                    fixed (float* a = packedA)
                    fixed (float* bp = b)
                    fixed (int* offs = offsets)
                    fixed (double* sum = acc)
                    {
                        Sgemm.Tile(a + (mb * pixels + p0) * MR, bp + nt * NR, offs, count, tile);
                        for (int r = 0; r < MR; r++)
                        for (int c = 0; c < NR; c++)
                            sum[(mb * MR + r) * paddedK + nt * NR + c] += tile[r * NR + c];
                    }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(b);
        }
        for (int co = 0; co < cout; co++)
        for (int kk = 0; kk < depthK; kk++)
            dw.Data[co * depthK + kk] += (float)acc[co * paddedK + kk];
    }
}
