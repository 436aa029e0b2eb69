using Reel.Engine.Ops;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// DIS optical flow for one pair of gray frames, step for step as OpenCV's DISOpticalFlow (see
/// <see cref="OpticalFlowOp"/>): area pyramid of the 8-bit frames, Sobel gradients, per-patch
/// structure tensors, inverse search with spatial propagation in 8 stripes, densification,
/// variational refinement, bilinear upscaling to the next scale. This class is the reference:
/// scalar, one thread. <see cref="FastDisFlow"/> overrides the inner kernels with Vector256 and
/// runs stripes and rows in parallel; each of its kernels does the same float operations in the
/// same order (patch sums column by column, the eight column sums added as
/// <see cref="SumLanes(float, float, float, float, float, float, float, float)"/> does), so both give the same bits.
/// </summary>
internal class DisFlow
{
    protected const int P = OpticalFlowOp.PatchSize;
    private const int HalfPatch = P / 2;
    private const int Border = 16;
    private const int Stripes = 8;
    private const float Eps = 0.001f;
    private const float Inf = 1e10f;

    // Variational refinement (OpenCV's defaults for DIS): weights of the data terms and smoothness,
    // the SOR relaxation, and the regularizers of the normalizations and the robust penalty.
    private const float Alpha = 20f, Gamma = 10f, Delta = 5f;
    protected const float Omega = 1.6f;
    private const float Zeta = 0.1f, Epsilon = 0.001f;
    protected const float Alpha2 = Alpha / 2, Epsilon2 = Epsilon * Epsilon, Zeta2 = Zeta * Zeta, Delta2 = Delta / 2, Gamma2 = Gamma / 2;
    private const int SorIterations = 5;

    private readonly OpticalFlowOp _op;

    public DisFlow(OpticalFlowOp op) => _op = op;

    /// <summary>One W×H pyramid level (values are whole 8-bit levels, held as floats).</summary>
    protected sealed record Plane(float[] Data, int W, int H);

    /// <summary>
    /// Runs <paramref name="body"/> for 0 … count − 1: the reference in order, the fast path in
    /// parallel where the loop's <paramref name="work"/> (about how many scalar operations) pays for it.
    /// </summary>
    protected virtual void For(int count, long work, Action<int> body)
    {
        for (int i = 0; i < count; i++) body(i);
    }

    /// <summary>The flow (2, H, W) from <paramref name="from"/> to <paramref name="to"/>, both (H, W) gray in [0, 1].</summary>
    public void Compute(ReadOnlySpan<float> from, ReadOnlySpan<float> to, int width, int height, Span<float> flow)
    {
        int finest = _op.FinestScale, coarsest = _op.CoarsestScale(width, height);
        var i0s = new Plane[coarsest + 1];
        var i1s = new Plane[coarsest + 1];
        i0s[finest] = AreaResize(Quantize(from, width, height), width >> finest, height >> finest);
        i1s[finest] = AreaResize(Quantize(to, width, height), width >> finest, height >> finest);
        for (int s = finest + 1; s <= coarsest; s++)
        {
            i0s[s] = AreaResize(i0s[s - 1], i0s[s - 1].W / 2, i0s[s - 1].H / 2);
            i1s[s] = AreaResize(i1s[s - 1], i1s[s - 1].W / 2, i1s[s - 1].H / 2);
        }

        var top = i0s[coarsest];
        float[] ux = new float[top.W * top.H], uy = new float[top.W * top.H];
        for (int s = coarsest; s >= finest; s--)
        {
            var (i0, i1) = (i0s[s], i1s[s]);
            int w = i0.W, h = i0.H;
            var (gx, gy) = Sobel(i0);
            var search = new PatchSearch(w, h, _op.PatchStride);
            var tensor = StructureTensor(gx, gy, search);
            var (sx, sy) = (new float[search.Count], new float[search.Count]);
            var ext = Extend(i1);
            int inner = _op.GradientIterations / 2;
            For(Stripes, (long)search.Count * _op.GradientIterations * P * P * 12, stripe => SearchStripe(stripe, search, i0, ext, gx, gy, tensor, ux, uy, sx, sy, inner));
            For(h, (long)w * h * 250, i => DensifyRow(i, search, i0, i1, sx, sy, ux, uy));
            if (_op.RefinementIterations > 0) Refine(i0, i1, ux, uy);
            if (s > finest)
            {
                var next = i0s[s - 1];
                ux = Upscale(ux, w, h, next.W, next.H, 2f);
                uy = Upscale(uy, w, h, next.W, next.H, 2f);
            }
            else
            {
                float factor = 1 << finest;
                Upscale(ux, w, h, width, height, factor).CopyTo(flow[..(width * height)]);
                Upscale(uy, w, h, width, height, factor).CopyTo(flow.Slice(width * height, width * height));
            }
        }
    }

    /// <summary>[0, 1] → whole 8-bit levels, rounded to nearest.</summary>
    private static Plane Quantize(ReadOnlySpan<float> x, int w, int h)
    {
        var q = new float[w * h];
        for (int i = 0; i < q.Length; i++) q[i] = MathF.Round(Math.Clamp(x[i] * 255f, 0f, 255f), MidpointRounding.AwayFromZero);
        return new Plane(q, w, h);
    }

    /// <summary>
    /// OpenCV's INTER_AREA on 8-bit images: an exact 2× shrink averages 2×2 blocks rounding halves
    /// up; any other ratio weighs the source pixels by their overlap with the destination cell and
    /// rounds to nearest even.
    /// </summary>
    private static Plane AreaResize(Plane src, int w, int h)
    {
        var dst = new float[w * h];
        if (src.W == 2 * w && src.H == 2 * h)
        {
            for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
            {
                int a = 2 * i * src.W + 2 * j;
                int sum = (int)src.Data[a] + (int)src.Data[a + 1] + (int)src.Data[a + src.W] + (int)src.Data[a + src.W + 1];
                dst[i * w + j] = (sum + 2) >> 2;
            }
            return new Plane(dst, w, h);
        }
        var tx = AreaTable(src.W, w);
        var ty = AreaTable(src.H, h);
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            double sum = 0;
            foreach (var (sy, wy) in ty[i])
            foreach (var (sx, wx) in tx[j])
                sum += wy * wx * src.Data[sy * src.W + sx];
            dst[i * w + j] = (float)Math.Clamp(Math.Round(sum, MidpointRounding.ToEven), 0, 255);
        }
        return new Plane(dst, w, h);
    }

    /// <summary>For each destination cell, the source pixels it covers and their share (OpenCV's computeResizeAreaTab).</summary>
    private static List<(int Index, double Weight)>[] AreaTable(int srcSize, int dstSize)
    {
        double scale = (double)srcSize / dstSize;
        var table = new List<(int, double)>[dstSize];
        for (int d = 0; d < dstSize; d++)
        {
            var cell = table[d] = new List<(int, double)>();
            double f1 = d * scale, f2 = f1 + scale, width = Math.Min(scale, srcSize - f1);
            int s1 = (int)Math.Ceiling(f1), s2 = Math.Min((int)Math.Floor(f2), srcSize - 1);
            s1 = Math.Min(s1, s2);
            if (s1 - f1 > 1e-3) cell.Add((s1 - 1, (s1 - f1) / width));
            for (int s = s1; s < s2; s++) cell.Add((s, 1 / width));
            if (f2 - s2 > 1e-3) cell.Add((s2, Math.Min(Math.Min(f2 - s2, 1.0), width) / width));
        }
        return table;
    }

    /// <summary>3×3 Sobel x and y gradients with the border reflected (101), as OpenCV's spatialGradient.</summary>
    private static (float[] Gx, float[] Gy) Sobel(Plane p)
    {
        int w = p.W, h = p.H;
        var gx = new float[w * h];
        var gy = new float[w * h];
        static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
        for (int i = 0; i < h; i++)
        {
            int up = Reflect(i - 1, h) * w, row = i * w, down = Reflect(i + 1, h) * w;
            for (int j = 0; j < w; j++)
            {
                int l = Reflect(j - 1, w), r = Reflect(j + 1, w);
                var d = p.Data;
                gx[row + j] = (d[up + r] - d[up + l]) + 2 * (d[row + r] - d[row + l]) + (d[down + r] - d[down + l]);
                gy[row + j] = (d[down + l] - d[up + l]) + 2 * (d[down + j] - d[up + j]) + (d[down + r] - d[up + r]);
            }
        }
        return (gx, gy);
    }

    /// <summary>The sparse grid of patches at one scale: patch (is, js) has its top-left corner at (is·stride, js·stride).</summary>
    protected sealed record PatchSearch(int W, int H, int Stride)
    {
        public int Cols { get; } = 1 + (W - P) / Stride;
        public int Rows { get; } = 1 + (H - P) / Stride;
        public int Count => Cols * Rows;

        /// <summary>The patches [first, last] along one axis whose extent covers pixel i; past the last patch, the last (OpenCV's densification).</summary>
        public static (int First, int Last) Covering(int i, int count, int stride)
        {
            int last = Math.Min(count - 1, i / stride);
            int first = i < P ? 0 : Math.Min((i - P) / stride + 1, last);
            return (first, last);
        }
    }

    /// <summary>Per patch: Σ gx², Σ gy², Σ gx·gy, Σ gx, Σ gy (summed exactly, stored as float).</summary>
    protected sealed record Tensor5(float[] Xx, float[] Yy, float[] Xy, float[] X, float[] Y);

    private static Tensor5 StructureTensor(float[] gx, float[] gy, PatchSearch grid)
    {
        var t = new Tensor5(new float[grid.Count], new float[grid.Count], new float[grid.Count], new float[grid.Count], new float[grid.Count]);
        for (int ps = 0; ps < grid.Count; ps++)
        {
            int top = ps / grid.Cols * grid.Stride, left = ps % grid.Cols * grid.Stride;
            double xx = 0, yy = 0, xy = 0, x = 0, y = 0;
            for (int r = 0; r < P; r++)
            for (int c = 0; c < P; c++)
            {
                int k = (top + r) * grid.W + left + c;
                double a = gx[k], b = gy[k];
                xx += a * a; yy += b * b; xy += a * b; x += a; y += b;
            }
            (t.Xx[ps], t.Yy[ps], t.Xy[ps], t.X[ps], t.Y[ps]) = ((float)xx, (float)yy, (float)xy, (float)x, (float)y);
        }
        return t;
    }

    /// <summary>The level with a 16-pixel replicated border, so a displaced patch never reads outside.</summary>
    private static Plane Extend(Plane p)
    {
        int w = p.W + 2 * Border, h = p.H + 2 * Border;
        var ext = new float[w * h];
        for (int i = 0; i < h; i++)
        {
            int si = Math.Clamp(i - Border, 0, p.H - 1);
            for (int j = 0; j < w; j++) ext[i * w + j] = p.Data[si * p.W + Math.Clamp(j - Border, 0, p.W - 1)];
        }
        return new Plane(ext, w, h);
    }

    /// <summary>
    /// Inverse search over one stripe of patch rows: a forward pass (candidates from the left and
    /// above) then a backward pass (right and below), each patch starting from the best candidate
    /// and descending for up to <paramref name="inner"/> steps. Propagation stays inside the stripe,
    /// as in OpenCV, so stripes are independent.
    /// </summary>
    private void SearchStripe(int stripe, PatchSearch grid, Plane i0, Plane ext, float[] gx, float[] gy, Tensor5 tensor,
        float[] ux, float[] uy, float[] sx, float[] sy, int inner)
    {
        int rows = (grid.Rows + Stripes - 1) / Stripes;
        int begin = Math.Min(stripe * rows, grid.Rows), end = Math.Min((stripe + 1) * rows, grid.Rows);
        var cols = grid.Cols;
        for (int pass = 0; pass < 2; pass++)
        {
            int dir = pass == 0 ? 1 : -1;
            int firstRow = dir > 0 ? begin : end - 1, stopRow = dir > 0 ? end : begin - 1;
            int firstCol = dir > 0 ? 0 : cols - 1, stopCol = dir > 0 ? cols : -1;
            for (int ps = firstRow; ps != stopRow; ps += dir)
            for (int qs = firstCol; qs != stopCol; qs += dir)
            {
                int k = ps * cols + qs, i = ps * grid.Stride, j = qs * grid.Stride;
                if (pass == 0)
                {
                    sx[k] = ux[(i + HalfPatch) * i0.W + j + HalfPatch];
                    sy[k] = uy[(i + HalfPatch) * i0.W + j + HalfPatch];
                }
                float best = Ssd(i0, ext, i, j, sx[k], sy[k]);
                if (qs != firstCol) TryCandidate(k - dir, ref best);
                if (ps != firstRow) TryCandidate(k - dir * cols, ref best);
                Descend(k, i, j);

                void TryCandidate(int from, ref float min)
                {
                    float ssd = Ssd(i0, ext, i, j, sx[from], sy[from]);
                    if (ssd < min)
                    {
                        min = ssd;
                        sx[k] = sx[from];
                        sy[k] = sy[from];
                    }
                }
            }
        }

        void Descend(int k, int i, int j)
        {
            float curX = sx[k], curY = sy[k];
            float detH = tensor.Xx[k] * tensor.Yy[k] - tensor.Xy[k] * tensor.Xy[k];
            if (MathF.Abs(detH) < Eps) detH = Eps;
            float invH11 = tensor.Yy[k] / detH, invH12 = -tensor.Xy[k] / detH, invH22 = tensor.Xx[k] / detH;
            float previous = Inf;
            for (int t = 0; t < inner; t++)
            {
                var wts = Weights(i, j, curX, curY, ext.W, i0.W, i0.H);
                float ssd = PatchGradient(i0.Data, i * i0.W + j, i0.W, ext.Data, wts.Offset, ext.W, gx, gy, wts, tensor.X[k], tensor.Y[k], out float dUx, out float dUy);
                curX -= invH11 * dUx + invH12 * dUy;
                curY -= invH12 * dUx + invH22 * dUy;
                if (ssd >= previous) break;
                previous = ssd;
            }
            // A descent that wandered further than a patch from where it started is not trusted.
            double mx = curX - sx[k], my = curY - sy[k];
            if (Math.Sqrt(mx * mx + my * my) <= P)
            {
                sx[k] = curX;
                sy[k] = curY;
            }
        }
    }

    /// <summary>The four bilinear weights of a patch displaced by (u, v) and its top-left tap in the extended level.</summary>
    protected readonly record struct Taps(float W00, float W01, float W10, float W11, int Offset);

    private static Taps Weights(int i, int j, float u, float v, int extW, int w, int h)
    {
        float y = Math.Min(Math.Max(i + v + Border, Border - P + 1f), Border + h - 1f);
        float x = Math.Min(Math.Max(j + u + Border, Border - P + 1f), Border + w - 1f);
        float fy = y - MathF.Floor(y), fx = x - MathF.Floor(x);
        float gy = MathF.Floor(y) + 1 - y, gx = MathF.Floor(x) + 1 - x;
        return new Taps(gy * gx, gy * fx, fy * gx, fy * fx, (int)y * extW + (int)x);
    }

    private float Ssd(Plane i0, Plane ext, int i, int j, float u, float v)
    {
        var t = Weights(i, j, u, v, ext.W, i0.W, i0.H);
        return PatchSsd(i0.Data, i * i0.W + j, i0.W, ext.Data, t.Offset, ext.W, t);
    }

    /// <summary>The eight column sums of a patch added pairwise: ((c0 + c4) + (c2 + c6)) + ((c1 + c5) + (c3 + c7)).</summary>
    protected static float SumLanes(float c0, float c1, float c2, float c3, float c4, float c5, float c6, float c7) =>
        ((c0 + c4) + (c2 + c6)) + ((c1 + c5) + (c3 + c7));

    private static float SumLanes(ReadOnlySpan<float> c) => SumLanes(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);

    /// <summary>Mean-normalized SSD between the I0 patch at <paramref name="o0"/> and the bilinearly displaced I1 patch.</summary>
    protected virtual float PatchSsd(float[] i0, int o0, int s0, float[] i1, int o1, int s1, Taps t)
    {
        Span<float> sum = stackalloc float[P], sq = stackalloc float[P];
        sum.Clear();
        sq.Clear();
        for (int r = 0; r < P; r++)
        for (int c = 0; c < P; c++)
        {
            float d = Diff(i0, o0 + r * s0 + c, i1, o1 + r * s1 + c, s1, t);
            sum[c] += d;
            sq[c] += d * d;
        }
        float sd = SumLanes(sum);
        return SumLanes(sq) - sd * sd / (P * P);
    }

    /// <summary>As <see cref="PatchSsd"/>, also the mean-normalized gradient sums Σ d·gx, Σ d·gy the descent step needs.</summary>
    protected virtual float PatchGradient(float[] i0, int o0, int s0, float[] i1, int o1, int s1, float[] gx, float[] gy, Taps t,
        float xSum, float ySum, out float dUx, out float dUy)
    {
        Span<float> sum = stackalloc float[P], sq = stackalloc float[P], mx = stackalloc float[P], my = stackalloc float[P];
        sum.Clear();
        sq.Clear();
        mx.Clear();
        my.Clear();
        for (int r = 0; r < P; r++)
        for (int c = 0; c < P; c++)
        {
            int k = o0 + r * s0 + c;
            float d = Diff(i0, k, i1, o1 + r * s1 + c, s1, t);
            mx[c] += d * gx[k];
            my[c] += d * gy[k];
            sq[c] += d * d;
            sum[c] += d;
        }
        float sd = SumLanes(sum);
        const float n = P * P;
        dUx = SumLanes(mx) - sd * xSum / n;
        dUy = SumLanes(my) - sd * ySum / n;
        return SumLanes(sq) - sd * sd / n;
    }

    private static float Diff(float[] i0, int k0, float[] i1, int k1, int s1, Taps t) =>
        t.W00 * i1[k1] + t.W01 * i1[k1 + 1] + t.W10 * i1[k1 + s1] + t.W11 * i1[k1 + s1 + 1] - i0[k0];

    /// <summary>
    /// Row i of the dense flow: each pixel averages the flows of the patches covering it, each
    /// weighted by 1 / max(1, |I1(p + u) − I0(p)|) so patches that explain the pixel count more.
    /// </summary>
    private static void DensifyRow(int i, PatchSearch grid, Plane i0, Plane i1, float[] sx, float[] sy, float[] ux, float[] uy)
    {
        int w = grid.W, h = grid.H;
        var (firstRow, lastRow) = PatchSearch.Covering(i, grid.Rows, grid.Stride);
        for (int j = 0; j < w; j++)
        {
            var (firstCol, lastCol) = PatchSearch.Covering(j, grid.Cols, grid.Stride);
            float sumX = 0, sumY = 0, sumCoef = 0;
            for (int ps = firstRow; ps <= lastRow; ps++)
            for (int qs = firstCol; qs <= lastCol; qs++)
            {
                float u = sx[ps * grid.Cols + qs], v = sy[ps * grid.Cols + qs];
                float jm = Math.Min(Math.Max(j + u, 0f), w - 1f - Eps), im = Math.Min(Math.Max(i + v, 0f), h - 1f - Eps);
                int jl = (int)jm, ju = jl + 1, il = (int)im, iu = il + 1;
                float diff = (jm - jl) * (im - il) * i1.Data[iu * w + ju] + (ju - jm) * (im - il) * i1.Data[iu * w + jl]
                    + (jm - jl) * (iu - im) * i1.Data[il * w + ju] + (ju - jm) * (iu - im) * i1.Data[il * w + jl] - i0.Data[i * w + j];
                float coef = 1 / Math.Max(1f, MathF.Abs(diff));
                sumX += coef * u;
                sumY += coef * v;
                sumCoef += coef;
            }
            ux[i * w + j] = sumX / sumCoef;
            uy[i * w + j] = sumY / sumCoef;
        }
    }

    /// <summary>
    /// Buffers of the variational refinement at one scale. Flow increments and smoothness weights
    /// live in planes with a one-pixel border of zeros (row stride W + 2), so the SOR reads its four
    /// neighbours without tests: a missing neighbour has increment 0 and weight 0.
    /// </summary>
    protected sealed class Refinement
    {
        public Refinement(int w, int h)
        {
            (W, H) = (w, h);
            int n = w * h, padded = (w + 2) * (h + 2);
            (Ix, Iy, Iz, Ixx, Ixy, Iyy, Ixz, Iyz) = (new float[n], new float[n], new float[n], new float[n], new float[n], new float[n], new float[n], new float[n]);
            (A11, A12, A22, B1, B2) = (new float[n], new float[n], new float[n], new float[n], new float[n]);
            (Du, Dv, Weight) = (new float[padded], new float[padded], new float[padded]);
        }

        public int W { get; }
        public int H { get; }
        public float[] Ix, Iy, Iz, Ixx, Ixy, Iyy, Ixz, Iyz;
        public float[] A11, A12, A22, B1, B2;
        public float[] Du, Dv, Weight;
        public int Pad(int i, int j) => (i + 1) * (W + 2) + j + 1;
    }

    /// <summary>
    /// OpenCV's VariationalRefinement on (u, v) in place: derivatives of the average of I0 and I1
    /// warped by the flow; then fixed-point iterations, each linearizing the robust data terms
    /// (brightness and gradient constancy) and the smoothness term around the current increment
    /// and relaxing the 2×2-per-pixel system with red-black SOR.
    /// </summary>
    private void Refine(Plane i0, Plane i1, float[] u, float[] v)
    {
        int w = i0.W, h = i0.H;
        var r = new Refinement(w, h);
        var avg = new float[w * h];
        long pixels = (long)w * h;
        For(h, pixels * 20, i =>
        {
            for (int j = 0; j < w; j++)
            {
                int p = i * w + j;
                float warped = FlowSampling.Bilinear(i1.Data, w, h, j + u[p], i + v[p]);
                avg[p] = 0.5f * i0.Data[p] + 0.5f * warped;
                r.Iz[p] = warped - i0.Data[p];
            }
        });
        For(h, pixels * 4, i =>
        {
            Derive(avg, r.Ix, r.Iy, w, h, i);
            Derive(r.Iz, r.Ixz, r.Iyz, w, h, i);
        });
        For(h, pixels * 4, i =>
        {
            Derive(r.Ix, r.Ixx, r.Ixy, w, h, i);
            Derive(r.Iy, null, r.Iyy, w, h, i);
        });
        var tu = (float[])u.Clone();
        var tv = (float[])v.Clone();
        for (int it = 0; it < _op.RefinementIterations; it++)
        {
            For(h, pixels * 20, i => WeightRow(r, tu, tv, i));
            For(h, pixels * 100, i => AssembleRow(r, u, v, i));
            for (int s = 0; s < SorIterations; s++)
            {
                For(h, pixels * 10, i => SorRow(r, i, red: true));
                For(h, pixels * 10, i => SorRow(r, i, red: false));
            }
            For(h, pixels * 2, i =>
            {
                for (int j = 0; j < w; j++)
                {
                    tu[i * w + j] = u[i * w + j] + r.Du[r.Pad(i, j)];
                    tv[i * w + j] = v[i * w + j] + r.Dv[r.Pad(i, j)];
                }
            });
        }
        Array.Copy(tu, u, u.Length);
        Array.Copy(tv, v, v.Length);
    }

    /// <summary>Row i of the central differences x(j+1) − x(j−1) and x(i+1) − x(i−1), edge repeated (Sobel with ksize 1).</summary>
    private static void Derive(float[] x, float[]? dx, float[] dy, int w, int h, int i)
    {
        int up = Math.Max(i - 1, 0) * w, row = i * w, down = Math.Min(i + 1, h - 1) * w;
        for (int j = 0; j < w; j++)
        {
            if (dx is not null) dx[row + j] = x[row + Math.Min(j + 1, w - 1)] - x[row + Math.Max(j - 1, 0)];
            dy[row + j] = x[down + j] - x[up + j];
        }
    }

    /// <summary>Row i of the smoothness weights α/2 / √(|∇u|² + |∇v|² + ε²) of the current flow (forward differences, 0 past the edge).</summary>
    protected virtual void WeightRow(Refinement r, float[] tu, float[] tv, int i)
    {
        for (int j = 0; j < r.W; j++) WeightPixel(r, tu, tv, i, j);
    }

    protected static void WeightPixel(Refinement r, float[] tu, float[] tv, int i, int j)
    {
        int w = r.W, p = i * w + j, right = j < w - 1 ? p + 1 : p, below = i < r.H - 1 ? p + w : p;
        float ux = tu[right] - tu[p], vx = tv[right] - tv[p], uy = tu[below] - tu[p], vy = tv[below] - tv[p];
        r.Weight[r.Pad(i, j)] = Alpha2 / MathF.Sqrt(ux * ux + vx * vx + uy * uy + vy * vy + Epsilon2);
    }

    /// <summary>
    /// Row i of the linear system for the increment (du, dv): the data terms linearized around the
    /// current increment, plus the smoothness edges to the four neighbours that exist, each with the
    /// weight of its left or upper pixel, pulling towards the differences of the unrefined flow.
    /// </summary>
    protected virtual void AssembleRow(Refinement r, float[] u, float[] v, int i)
    {
        for (int j = 0; j < r.W; j++) AssemblePixel(r, u, v, i, j);
    }

    protected static void AssemblePixel(Refinement r, float[] u, float[] v, int i, int j)
    {
        int w = r.W, h = r.H;
        int p = i * w + j, q = r.Pad(i, j);
        float du = r.Du[q], dv = r.Dv[q];
        float ix = r.Ix[p], iy = r.Iy[p], iz = r.Iz[p];
        float norm = ix * ix + iy * iy + Zeta2;
        float ik1z = iz + ix * du + iy * dv;
        float weight = Delta2 / MathF.Sqrt(ik1z * ik1z / norm + Epsilon2) / norm;
        float a11 = weight * (ix * ix) + Zeta2, a12 = weight * (ix * iy), a22 = weight * (iy * iy) + Zeta2;
        float b1 = -weight * (iz * ix), b2 = -weight * (iz * iy);

        float ixx = r.Ixx[p], ixy = r.Ixy[p], iyy = r.Iyy[p], ixz = r.Ixz[p], iyz = r.Iyz[p];
        float norm1 = ixx * ixx + ixy * ixy + Zeta2, norm2 = iyy * iyy + ixy * ixy + Zeta2;
        float zx = ixz + ixx * du + ixy * dv, zy = iyz + ixy * du + iyy * dv;
        weight = Gamma2 / MathF.Sqrt(zx * zx / norm1 + zy * zy / norm2 + Epsilon2);
        a11 += weight * (ixx * ixx / norm1 + ixy * ixy / norm2);
        a12 += weight * (ixx * ixy / norm1 + ixy * iyy / norm2);
        a22 += weight * (ixy * ixy / norm1 + iyy * iyy / norm2);
        b1 += -weight * (ixx * ixz / norm1 + ixy * iyz / norm2);
        b2 += -weight * (ixy * ixz / norm1 + iyy * iyz / norm2);

        float wl = r.Weight[q - 1], wp = r.Weight[q], wu = r.Weight[q - (w + 2)];
        float wr = j < w - 1 ? wp : 0f, wd = i < h - 1 ? wp : 0f;
        int left = j > 0 ? p - 1 : p, right = j < w - 1 ? p + 1 : p, up = i > 0 ? p - w : p, down = i < h - 1 ? p + w : p;
        r.A11[p] = a11 + wl + wr + wu + wd;
        r.A22[p] = a22 + wl + wr + wu + wd;
        r.A12[p] = a12;
        r.B1[p] = b1 - wl * (u[p] - u[left]) + wr * (u[right] - u[p]) - wu * (u[p] - u[up]) + wd * (u[down] - u[p]);
        r.B2[p] = b2 - wl * (v[p] - v[left]) + wr * (v[right] - v[p]) - wu * (v[p] - v[up]) + wd * (v[down] - v[p]);
    }

    /// <summary>One SOR half-sweep over the pixels of row i whose (i + j) parity is red (even) or black.</summary>
    protected virtual void SorRow(Refinement r, int i, bool red)
    {
        for (int j = (i + (red ? 0 : 1)) & 1; j < r.W; j += 2) SorPixel(r, i, j);
    }

    /// <summary>The SOR update of one pixel: du first, then dv with the new du.</summary>
    protected static void SorPixel(Refinement r, int i, int j)
    {
        int p = i * r.W + j, q = r.Pad(i, j), stride = r.W + 2;
        float wl = r.Weight[q - 1], wp = r.Weight[q], wu = r.Weight[q - stride];
        float su = wl * r.Du[q - 1] + wp * r.Du[q + 1] + wu * r.Du[q - stride] + wp * r.Du[q + stride];
        float sv = wl * r.Dv[q - 1] + wp * r.Dv[q + 1] + wu * r.Dv[q - stride] + wp * r.Dv[q + stride];
        float du = r.Du[q] + Omega * ((su + r.B1[p] - r.Dv[q] * r.A12[p]) / r.A11[p] - r.Du[q]);
        r.Du[q] = du;
        r.Dv[q] += Omega * ((sv + r.B2[p] - du * r.A12[p]) / r.A22[p] - r.Dv[q]);
    }

    /// <summary>A flow plane resized bilinearly (half-pixel centres, PyTorch's and OpenCV's rule) and scaled by <paramref name="factor"/>.</summary>
    private static float[] Upscale(float[] x, int w, int h, int outW, int outH, float factor)
    {
        var y = new float[outW * outH];
        for (int i = 0; i < outH; i++)
        {
            var (y0, y1, fy) = ReferenceBackend.SourceIndex(i, h, outH, alignCorners: false);
            for (int j = 0; j < outW; j++)
            {
                var (x0, x1, fx) = ReferenceBackend.SourceIndex(j, w, outW, alignCorners: false);
                double top = x[y0 * w + x0] * (1 - fx) + x[y0 * w + x1] * fx;
                double bottom = x[y1 * w + x0] * (1 - fx) + x[y1 * w + x1] * fx;
                y[i * outW + j] = (float)(top * (1 - fy) + bottom * fy) * factor;
            }
        }
        return y;
    }
}
