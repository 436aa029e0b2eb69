// PIL's antialiased bicubic resize of every plane (ResizeBicubicOp) in two passes, across then down.
#include "reel_cuda.cuh"

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

// One pass along an axis of every plane: src is (outer, in_size, inner) and dst (outer, out_size,
// inner); each output is PIL's bicubic sample of its column of src (stride inner), clamped to
// [0, 1] when asked (the last pass). Across is inner = 1, down is inner = out_w.
__device__ __forceinline__ void reel_bicubic_pass(const float* src, float* dst, long long outer, int in_size, int out_size,
                                                  int inner, bool clamp) {
    REEL_GRID_STRIDE(i, outer * out_size * inner) {
        auto [p, o, c] = reel_pixel_of(i, out_size, inner);
        double v = reel_bicubic_sample(src + p * in_size * inner + c, inner, o, in_size, out_size);
        dst[i] = (float)(clamp ? fmin(fmax(v, 0.0), 1.0) : v);
    }
}

// Pass 1: every row of every plane (in_h, in_w) across to out_w columns, into tmp (planes, in_h, out_w).
extern "C" __global__ void resize_bicubic_across_f32(const float* __restrict__ src, float* __restrict__ tmp, int planes,
                                                     int in_h, int in_w, int out_w) {
    reel_bicubic_pass(src, tmp, (long long)planes * in_h, in_w, out_w, 1, false);
}

// Pass 2: down every column of tmp (planes, in_h, out_w) to out_h rows, clamped to [0, 1].
extern "C" __global__ void resize_bicubic_down_f32(const float* __restrict__ tmp, float* __restrict__ dst, int planes,
                                                   int in_h, int out_h, int out_w) {
    reel_bicubic_pass(tmp, dst, planes, in_h, out_h, out_w, true);
}
