// Bilinear resize of every plane, PyTorch's upsample_bilinear2d source-index rule (no
// antialias) with either align_corners convention, as ReferenceBackend.Resize. Used for the
// colorizer's ×4 ab upsample (align_corners false), the U-Net decoder's ×2 (true) and
// ab back to full frame size. One output element per thread; planes = N·C.
#include "reel_cuda.cuh"

__device__ __forceinline__ void reel_source_index(int o, int in_size, int out_size, int align_corners,
                                                  int& i0, int& i1, float& frac) {
    float src = align_corners ? (out_size > 1 ? o * (float)(in_size - 1) / (out_size - 1) : 0.0f)
                              : fmaxf((o + 0.5f) * in_size / out_size - 0.5f, 0.0f);
    i0 = min((int)src, in_size - 1);
    i1 = min(i0 + 1, in_size - 1);
    frac = src - i0;
}

extern "C" __global__ void resize_bilinear_f32(const float* __restrict__ src, float* __restrict__ dst, int in_h,
                                               int in_w, int out_h, int out_w, int planes, int align_corners) {
    long long total = (long long)planes * out_h * out_w;
    REEL_GRID_STRIDE(i, total) {
        int ox = (int)(i % out_w);
        long long rest = i / out_w;
        int oy = (int)(rest % out_h);
        long long plane = rest / out_h;
        int y0, y1, x0, x1;
        float fy, fx;
        reel_source_index(oy, in_h, out_h, align_corners, y0, y1, fy);
        reel_source_index(ox, in_w, out_w, align_corners, x0, x1, fx);
        const float* p = src + plane * in_h * in_w;
        float top = p[y0 * in_w + x0] * (1.0f - fx) + p[y0 * in_w + x1] * fx;
        float bottom = p[y1 * in_w + x0] * (1.0f - fx) + p[y1 * in_w + x1] * fx;
        dst[i] = top * (1.0f - fy) + bottom * fy;
    }
}

// PyTorch's source index in double, as the CPU's gradient computes it (ReferenceBackend.SourceIndex).
__device__ __forceinline__ void reel_source_index_f64(int o, int in_size, int out_size, int align_corners,
                                                      int& i0, int& i1, double& frac) {
    double src = align_corners ? (out_size > 1 ? o * (double)(in_size - 1) / (out_size - 1) : 0.0)
                               : fmax((o + 0.5) * in_size / out_size - 0.5, 0.0);
    i0 = min((int)src, in_size - 1);
    i1 = min(i0 + 1, in_size - 1);
    frac = src - i0;
}

// Training: ∂L/∂x of the bilinear resize, gathered per input element (deterministic, no atomics).
// The fast CPU path scatters each output's gradient to its four sources in output order, each
// weight product in double rounded to float as it is added; gathering the same contributions in
// the same order from 0 gives the same float sums bit for bit. The outputs that can reach input
// row i lie within ceil(out/in) + 2 rows of i·out/in (likewise for columns).
extern "C" __global__ void resize_bilinear_backward_f32(const float* __restrict__ dy, float* __restrict__ dx,
                                                        int in_h, int in_w, int out_h, int out_w, int planes,
                                                        int align_corners) {
    long long total = (long long)planes * in_h * in_w;
    int reach_y = (out_h + in_h - 1) / in_h + 2, reach_x = (out_w + in_w - 1) / in_w + 2;
    REEL_GRID_STRIDE(i, total) {
        int ix = (int)(i % in_w);
        long long rest = i / in_w;
        int iy = (int)(rest % in_h);
        const float* g = dy + (rest / in_h) * out_h * out_w;
        int cy = (int)((iy + 0.5) * out_h / in_h), cx = (int)((ix + 0.5) * out_w / in_w);
        int oy0 = max(cy - reach_y, 0), oy1 = min(cy + reach_y, out_h - 1);
        int ox0 = max(cx - reach_x, 0), ox1 = min(cx + reach_x, out_w - 1);
        float sum = 0.0f;
        for (int oy = oy0; oy <= oy1; ++oy) {
            int y0, y1;
            double fy;
            reel_source_index_f64(oy, in_h, out_h, align_corners, y0, y1, fy);
            if (y0 != iy && y1 != iy) continue;
            for (int ox = ox0; ox <= ox1; ++ox) {
                int x0, x1;
                double fx;
                reel_source_index_f64(ox, in_w, out_w, align_corners, x0, x1, fx);
                if (x0 != ix && x1 != ix) continue;
                double v = g[oy * out_w + ox], t = v * (1.0 - fy), b = v * fy, w0 = 1.0 - fx, w1 = fx;
                if (y0 == iy && x0 == ix) sum += (float)(t * w0);
                if (y0 == iy && x1 == ix) sum += (float)(t * w1);
                if (y1 == iy && x0 == ix) sum += (float)(b * w0);
                if (y1 == iy && x1 == ix) sum += (float)(b * w1);
            }
        }
        dx[i] = sum;
    }
}

// PIL's antialiased bicubic (a = −0.5), as ReferenceBackend.BicubicWeights: the taps of output
// index i start at `lo`; the kernel is stretched by the scale when shrinking, and the weights are
// normalized by their sum (equal weights where they sum to 0, one source where there is no tap).
__device__ __forceinline__ double reel_cubic(double x) {
    x = fabs(x);
    if (x < 1.0) return (1.5 * x - 2.5) * x * x + 1.0;
    if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * -0.5;
    return 0.0;
}

// Σ_j w_j · src[start + j·stride] for output index i of an axis (in_size → out_size).
__device__ double reel_bicubic_sample(const float* src, long long stride, int i, int in_size, int out_size) {
    double scale = (double)in_size / out_size, filter_scale = fmax(scale, 1.0), support = 2.0 * filter_scale;
    double centre = (i + 0.5) * scale;
    int lo = max((int)(centre - support + 0.5), 0);
    int hi = min((int)(centre + support + 0.5), in_size);
    int start = min(lo, in_size - 1);
    double sum = 0.0;
    for (int j = 0; j < hi - lo; ++j) sum += reel_cubic((j + lo - centre + 0.5) / filter_scale);
    double acc = 0.0;
    if (sum == 0.0) {  // no tap weighs anything (or there is none): equal weights
        int count = max(hi - lo, 1);
        for (int j = 0; j < count; ++j) acc += 1.0 / count * src[(start + j) * stride];
        return acc;
    }
    for (int j = 0; j < hi - lo; ++j) acc += reel_cubic((j + lo - centre + 0.5) / filter_scale) / sum * src[(start + j) * stride];
    return acc;
}

// Pass 1: every row of every plane (in_h, in_w) across to out_w columns, into tmp (planes, in_h, out_w).
extern "C" __global__ void resize_bicubic_across_f32(const float* __restrict__ src, float* __restrict__ tmp, int planes,
                                                     int in_h, int in_w, int out_w) {
    long long total = (long long)planes * in_h * out_w;
    REEL_GRID_STRIDE(i, total) {
        int o = (int)(i % out_w);
        long long row = i / out_w;
        tmp[i] = (float)reel_bicubic_sample(src + row * in_w, 1, o, in_w, out_w);
    }
}

// Pass 2: down every column of tmp (planes, in_h, out_w) to out_h rows, clamped to [0, 1].
extern "C" __global__ void resize_bicubic_down_f32(const float* __restrict__ tmp, float* __restrict__ dst, int planes,
                                                   int in_h, int out_h, int out_w) {
    long long total = (long long)planes * out_h * out_w;
    REEL_GRID_STRIDE(i, total) {
        int c = (int)(i % out_w);
        long long rest = i / out_w;
        int o = (int)(rest % out_h);
        long long p = rest / out_h;
        double v = reel_bicubic_sample(tmp + p * in_h * out_w + c, out_w, o, in_h, out_h);
        dst[i] = (float)fmin(fmax(v, 0.0), 1.0);
    }
}
