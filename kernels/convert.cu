// Precision changes between stages: float ↔ half (binary16) and float ↔ bfloat16.
#include "reel_cuda.cuh"

extern "C" __global__ void convert_f32_to_f16(const float* __restrict__ src, unsigned short* __restrict__ dst, int n) {
    REEL_GRID_STRIDE(i, n) dst[i] = reel_f2h(src[i]);
}

extern "C" __global__ void convert_f16_to_f32(const unsigned short* __restrict__ src, float* __restrict__ dst, int n) {
    REEL_GRID_STRIDE(i, n) dst[i] = reel_h2f(src[i]);
}

// bfloat16: reel_f2bf rounds to nearest even, reel_bf2f is exact (reel_cuda.cuh).
extern "C" __global__ void convert_f32_to_bf16(const float* __restrict__ src, unsigned short* __restrict__ dst, long long n) {
    REEL_GRID_STRIDE(i, n) dst[i] = reel_f2bf(src[i]);
}

extern "C" __global__ void convert_bf16_to_f32(const unsigned short* __restrict__ src, float* __restrict__ dst, long long n) {
    REEL_GRID_STRIDE(i, n) dst[i] = reel_bf2f(src[i]);
}
