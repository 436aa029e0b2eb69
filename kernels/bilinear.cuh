// Bilinear sampling with the edge repeated outside the plane (OpenCV's BORDER_REPLICATE), the
// same float operations in the same order as engine/Backends/Cpu/FlowSampling.Bilinear. Every
// product that meets an addition goes through __fmul_rn so the compiler cannot fuse it into an
// FMA: the flow kernels give the CPU reference's bits, on the emulator and on a GPU.
#pragma once
#include "reel_cuda.cuh"

__device__ __forceinline__ float reel_bilinear(const float* __restrict__ p, int w, int h, float x, float y) {
    float fx = floorf(x), fy = floorf(y);
    float ax = x - fx, ay = y - fy;
    int x0 = (int)fminf(fmaxf(fx, -1.0f), (float)w), y0 = (int)fminf(fmaxf(fy, -1.0f), (float)h);
    int xa = min(max(x0, 0), w - 1), xb = min(max(x0 + 1, 0), w - 1);
    int ya = min(max(y0, 0), h - 1), yb = min(max(y0 + 1, 0), h - 1);
    float top = __fmul_rn(p[ya * w + xa], 1.0f - ax) + __fmul_rn(p[ya * w + xb], ax);
    float bottom = __fmul_rn(p[yb * w + xa], 1.0f - ax) + __fmul_rn(p[yb * w + xb], ax);
    return __fmul_rn(top, 1.0f - ay) + __fmul_rn(bottom, ay);
}
