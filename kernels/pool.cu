// The U-Net's 2×2 max pooling and its gradient for the paths that keep NCHW float without cuDNN.
// Ties keep the first element in row-major order and a NaN wins, as ReferenceBackend.MaxPool.
// planes = N·C.
#include "reel_cuda.cuh"

extern "C" __global__ void maxpool2d_f32(const float* __restrict__ x, float* __restrict__ y, int in_h, int in_w,
                                         int out_h, int out_w, int planes, int kernel, int stride) {
    long long total = (long long)planes * out_h * out_w;
    REEL_GRID_STRIDE(i, total) {
        auto [plane, oy, ox] = reel_pixel_of(i, out_h, out_w);
        const float* src = x + plane * in_h * in_w;
        float best = -INFINITY;
        for (int ky = 0; ky < kernel; ++ky)
            for (int kx = 0; kx < kernel; ++kx) {
                float v = src[(oy * stride + ky) * in_w + ox * stride + kx];
                if (v > best || v != v) best = v;
            }
        y[i] = best;
    }
}

// Training: ∂L/∂x of max pooling, gathered per input element (no atomics, so the sums are
// deterministic): every window that covers the element and picked it (the forward's scan: the
// first element, then any greater one or a NaN) adds its gradient, windows in row-major order.
extern "C" __global__ void maxpool2d_backward_f32(const float* __restrict__ x, const float* __restrict__ dy,
                                                  float* __restrict__ dx, int in_h, int in_w, int out_h, int out_w,
                                                  int planes, int kernel, int stride) {
    long long total = (long long)planes * in_h * in_w;
    REEL_GRID_STRIDE(i, total) {
        auto [plane, iy, ix] = reel_pixel_of(i, in_h, in_w);
        const float* src = x + plane * in_h * in_w;
        const float* g = dy + plane * out_h * out_w;
        int oy0 = iy >= kernel ? (iy - kernel) / stride + 1 : 0, oy1 = min(iy / stride, out_h - 1);
        int ox0 = ix >= kernel ? (ix - kernel) / stride + 1 : 0, ox1 = min(ix / stride, out_w - 1);
        float sum = 0.0f;
        for (int oy = oy0; oy <= oy1; ++oy)
            for (int ox = ox0; ox <= ox1; ++ox) {
                int at = -1;
                float best = 0.0f;
                for (int ky = 0; ky < kernel; ++ky)
                    for (int kx = 0; kx < kernel; ++kx) {
                        int p = (oy * stride + ky) * in_w + ox * stride + kx;
                        float v = src[p];
                        if (at < 0 || v > best || v != v) {
                            best = v;
                            at = p;
                        }
                    }
                if (at == iy * in_w + ix) sum += g[oy * out_w + ox];
            }
        dx[i] = sum;
    }
}
