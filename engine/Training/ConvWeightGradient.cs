using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Tensors;

namespace Reel.Engine.Training;

/// <summary>
/// ∂L/∂W of a k×k stride-1 "same" conv as one implicit GEMM: dW[co, (ky, kx, ci)] = Σ_p dY[co, p] ·
/// X[ci, p + shift(ky, kx)]. dY is packed once as A (depth = pixels). X is copied once into a
/// zero-bordered channels-last layout (padded H, padded W, Cin rounded up to NR), so for one tap
/// the NR channels a micro-tile needs are contiguous at every pixel: B is read in place through
/// per-pixel offsets, with no im2col buffer. Float tiles cover at most 64 pixels and add up in
/// double, as precise as PyTorch's. Threads split the output tiles within each L2-sized span of
/// pixels, so no two write the same accumulator.
/// </summary>
internal static unsafe class ConvWeightGradient
{
    private static readonly int MR = Sgemm.MR;
    private static readonly int NR = Sgemm.NR;
    /// <summary>Float sums run over at most this many pixels; chunks add up in double.</summary>
    private const int ChunkPixels = 64;

    /// <summary>Adds ∂L/∂W for input x (1, Cin, H, W) and output gradient dy (1, Cout, H, W) into dw (Cout, Cin, k, k).</summary>
    public static void Accumulate(Tensor x, Tensor dy, int k, Tensor dw)
    {
        int cin = x.Shape.C, cout = dy.Shape.C, h = x.Shape.H, w = x.Shape.W, pixels = h * w, pad = k / 2;
        int cinPad = (cin + NR - 1) / NR * NR, groups = cinPad / NR, taps = k * k;
        int hp = h + 2 * pad, wp = w + 2 * pad;
        int mBlocks = (cout + MR - 1) / MR, nTiles = taps * groups, columns = nTiles * NR;
        int xtLength = hp * wp * cinPad, aLength = mBlocks * pixels * MR;
        var xt = ArrayPool<float>.Shared.Rent(xtLength);
        var packedA = ArrayPool<float>.Shared.Rent(aLength);
        var offsets = ArrayPool<int>.Shared.Rent(pixels);
        var acc = ArrayPool<double>.Shared.Rent(mBlocks * MR * columns);
        try
        {
            Array.Clear(xt, 0, xtLength);
            Array.Clear(acc, 0, mBlocks * MR * columns);
            // X → (hp, wp, cinPad), zero border and zero channels ≥ Cin.
            Parallel.For(0, h, r =>
            {
                for (int c = 0; c < cin; c++)
                {
                    int src = (c * h + r) * w, dst = ((r + pad) * wp + pad) * cinPad + c;
                    for (int col = 0; col < w; col++) xt[dst + col * cinPad] = x.Data[src + col];
                }
            });
            // dY → A panels (mBlocks, pixels, MR), rows past Cout zero.
            Parallel.For(0, mBlocks, mb =>
            {
                int a0 = mb * pixels * MR;
                for (int r = 0; r < MR; r++)
                {
                    int co = mb * MR + r;
                    if (co < cout)
                        for (int p = 0; p < pixels; p++) packedA[a0 + p * MR + r] = dy.Data[co * pixels + p];
                    else
                        for (int p = 0; p < pixels; p++) packedA[a0 + p * MR + r] = 0;
                }
            });
            for (int p = 0; p < pixels; p++) offsets[p] = ((p / w + pad) * wp + p % w + pad) * cinPad;

            // A span of pixels whose A and B stay in L2 while every output tile runs over it.
            int span = Math.Clamp((1 << 18) / (cout + cinPad) / ChunkPixels * ChunkPixels, ChunkPixels, Math.Max(ChunkPixels, pixels));
            int jobs = mBlocks * nTiles, threads = Math.Min(Environment.ProcessorCount, jobs);
            for (int p0 = 0; p0 < pixels; p0 += span)
            {
                int end = Math.Min(pixels, p0 + span);
                Parallel.For(0, threads, t =>
                {
                    float* tile = stackalloc float[MR * NR];
                    fixed (float* a = packedA)
                    fixed (float* b = xt)
                    fixed (int* offs = offsets)
                    fixed (double* sum = acc)
                    {
                        for (int job = t; job < jobs; job += threads)
                        {
                            int mb = job / nTiles, nt = job % nTiles, tap = nt / groups, g = nt % groups;
                            int shift = (((tap / k) - pad) * wp + (tap % k) - pad) * cinPad + g * NR;
                            for (int c0 = p0; c0 < end; c0 += ChunkPixels)
                            {
                                Sgemm.Tile(a + ((long)mb * pixels + c0) * MR, b + shift, offs + c0, Math.Min(ChunkPixels, end - c0), tile);
                                double* dst = sum + (long)mb * MR * columns + nt * NR;
                                for (int r = 0; r < MR; r++, dst += columns)
                                for (int c = 0; c < NR; c += 4)
                                {
                                    var v = Avx.ConvertToVector256Double(Vector128.Load(tile + r * NR + c));
                                    (Vector256.Load(dst + c) + v).Store(dst + c);
                                }
                            }
                        }
                    }
                });
            }
            for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
            for (int tap = 0; tap < taps; tap++)
                dw.Data[(co * cin + ci) * taps + tap] += (float)acc[co * columns + tap * cinPad + ci];
        }
        finally
        {
            ArrayPool<float>.Shared.Return(xt);
            ArrayPool<float>.Shared.Return(packedA);
            ArrayPool<int>.Shared.Return(offsets);
            ArrayPool<double>.Shared.Return(acc);
        }
    }
}
