// Precision changes between stages: float ↔ half (binary16) and float ↔ bfloat16.
#include "reel_cuda.cuh"

extern "C" __global__ void convert_f32_to_f16(const float* __restrict__ src, unsigned short* __restrict__ dst, int n) {
    REEL_GRID_STRIDE(i, n) dst[i] = reel_f2h(src[i]);
}

extern "C" __global__ void convert_f16_to_f32(const unsigned short* __restrict__ src, float* __restrict__ dst, int n) {
    REEL_GRID_STRIDE(i, n) dst[i] = reel_h2f(src[i]);
}

// bfloat16 is a float's upper 16 bits: rounded to nearest even on the way down (a NaN stays a
// quiet NaN), exact on the way up. Bit operations only, so NVRTC needs no cuda_bf16.h.
extern "C" __global__ void convert_f32_to_bf16(const float* __restrict__ src, unsigned short* __restrict__ dst, long long n) {
    REEL_GRID_STRIDE(i, n) {
        unsigned int bits = __float_as_uint(src[i]);
        if ((bits & 0x7fffffffu) > 0x7f800000u) dst[i] = (unsigned short)((bits >> 16) | 0x40u);
        else dst[i] = (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
    }
}

extern "C" __global__ void convert_bf16_to_f32(const unsigned short* __restrict__ src, float* __restrict__ dst, long long n) {
    REEL_GRID_STRIDE(i, n) dst[i] = __uint_as_float((unsigned int)src[i] << 16);
}
