using Reel.Engine.Ops;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// <see cref="ScreenedPoissonOp"/> for one frame, the reference: per channel, the correction
/// D = O − P lives in a plane with a one-pixel border of zeros, so a red-black SOR sweep reads its four
/// neighbours without tests (a missing neighbour adds 0 and is not counted in the diagonal).
/// <see cref="FastScreenedPoisson"/> sweeps rows with Vector256, same operations per pixel, same bits.
/// </summary>
internal class ScreenedPoisson(ScreenedPoissonOp op)
{
    /// <summary>One channel's system: the diagonal (neighbours + λ·c), the right-hand side λ·c·(1 − blend)·(T − P), the padded correction.</summary>
    protected sealed class Plane(int w, int h)
    {
        public int W { get; } = w;
        public int H { get; } = h;
        public float[] Diagonal { get; } = new float[w * h];
        public float[] Rhs { get; } = new float[w * h];
        public float[] D { get; } = new float[(w + 2) * (h + 2)];
        public int Pad(int i, int j) => (i + 1) * (W + 2) + j + 1;
    }

    protected virtual void For(int count, long work, Action<int> body)
    {
        for (int i = 0; i < count; i++) body(i);
    }

    /// <summary>o (C, H, W) from p, t (C, H, W) and the confidence c (H, W).</summary>
    public void Run(ReadOnlySpan<float> p, ReadOnlySpan<float> t, ReadOnlySpan<float> c, Span<float> o, int channels, int h, int w)
    {
        int n = w * h;
        var plane = new Plane(w, h);
        var pull = new float[n];
        var keep = new float[n];
        for (int k = 0; k < n; k++) keep[k] = Keep(p, t, k, n, channels);
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            int k = i * w + j;
            pull[k] = op.Lambda * c[k];
            float neighbours = (j > 0 ? 1f : 0f) + (j < w - 1 ? 1f : 0f) + (i > 0 ? 1f : 0f) + (i < h - 1 ? 1f : 0f);
            plane.Diagonal[k] = neighbours + pull[k];
        }
        for (int ch = 0; ch < channels; ch++)
        {
            var pc = p.Slice(ch * n, n);
            var tc = t.Slice(ch * n, n);
            for (int k = 0; k < n; k++) plane.Rhs[k] = pull[k] * (keep[k] * (tc[k] - pc[k]));
            Array.Clear(plane.D);
            for (int it = 0; it < op.Iterations; it++)
            {
                For(h, (long)n * 4, i => SorRow(plane, i, red: true));
                For(h, (long)n * 4, i => SorRow(plane, i, red: false));
            }
            var oc = o.Slice(ch * n, n);
            for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                oc[i * w + j] = pc[i * w + j] + plane.D[plane.Pad(i, j)];
        }
    }

    /// <summary>1 − b at pixel k: the share of T in the pull's target, b = blend·exp(−|P − T|² / 2σ²) in double.</summary>
    private float Keep(ReadOnlySpan<float> p, ReadOnlySpan<float> t, int k, int n, int channels)
    {
        if (op.Robust == 0) return 1 - op.Blend;
        double d2 = 0;
        for (int ch = 0; ch < channels; ch++)
        {
            double d = (double)p[ch * n + k] - t[ch * n + k];
            d2 += d * d;
        }
        double sigma = op.Robust;
        return (float)(1 - op.Blend * Math.Exp(-d2 / (2 * sigma * sigma)));
    }

    /// <summary>The pixels of row i whose (i + j) parity is red (even) or black.</summary>
    protected virtual void SorRow(Plane s, int i, bool red)
    {
        for (int j = (i + (red ? 0 : 1)) & 1; j < s.W; j += 2) SorPixel(s, i, j);
    }

    protected static void SorPixel(Plane s, int i, int j)
    {
        int k = i * s.W + j, q = s.Pad(i, j), stride = s.W + 2;
        float diagonal = s.Diagonal[k];
        if (!(diagonal > 0)) return;
        float sum = s.D[q - 1] + s.D[q + 1] + s.D[q - stride] + s.D[q + stride];
        s.D[q] = s.D[q] + ScreenedPoissonOp.Omega * ((sum + s.Rhs[k]) / diagonal - s.D[q]);
    }
}
