// The forward-backward check of two flows (FlowCheckOp): one thread per pixel; grid.y is the
// frame. As FlowSampling.CheckRows, bit for bit.
#include "bilinear.cuh"

// mask(p) = 1 where |b + f(p + b)|² ≤ 0.01·(|b|² + |f(p + b)|²) + 0.5: back b (t → t−1), forward f (t−1 → t).
extern "C" __global__ void flow_check_f32(const float* __restrict__ back, const float* __restrict__ forward,
                                          float* __restrict__ mask, int h, int w) {
    long long plane = (long long)h * w, frame = blockIdx.y;
    const float* b = back + frame * 2 * plane;
    const float* f = forward + frame * 2 * plane;
    REEL_GRID_STRIDE(p, plane) {
        int i = (int)(p / w), j = (int)(p % w);
        float bx = b[p], by = b[plane + p];
        float ax = reel_bilinear(f, w, h, (float)j + bx, (float)i + by);
        float ay = reel_bilinear(f + plane, w, h, (float)j + bx, (float)i + by);
        float lx = bx + ax, ly = by + ay;
        float loop = __fmul_rn(lx, lx) + __fmul_rn(ly, ly);
        float bound = __fmul_rn(0.01f, __fmul_rn(bx, bx) + __fmul_rn(by, by) + __fmul_rn(ax, ax) + __fmul_rn(ay, ay)) + 0.5f;
        mask[frame * plane + p] = loop <= bound ? 1.0f : 0.0f;
    }
}
