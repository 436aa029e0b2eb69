// Shared by every kernel file: the emulation switch and binary16 conversions.
// NVRTC 11.8 as shipped by Debian has no cuda_fp16.h, so half values travel as their 16-bit
// pattern (unsigned short) and convert with the PTX cvt instructions the hardware has.
#pragma once
#ifdef REEL_EMU
#include "emu/cuda_emu.h"
__device__ __forceinline__ float reel_h2f(unsigned short h) { return reel_emu::f16_to_f32(h); }
__device__ __forceinline__ unsigned short reel_f2h(float f) { return reel_emu::f32_to_f16(f); }
#else
__device__ __forceinline__ float reel_h2f(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}
__device__ __forceinline__ unsigned short reel_f2h(float f) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
#endif

// bfloat16 is a float's upper 16 bits: rounded to nearest even on the way down (a NaN stays a
// quiet NaN), exact on the way up. Bit operations only, so NVRTC needs no cuda_bf16.h.
__device__ __forceinline__ unsigned short reel_f2bf(float f) {
    unsigned int bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((bits >> 16) | 0x40u);
    return (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}
__device__ __forceinline__ float reel_bf2f(unsigned short b) { return __uint_as_float((unsigned int)b << 16); }

// ReLU that keeps a NaN, as the CPU's Math.Max and cuDNN's fused ReLU (CUDNN_PROPAGATE_NAN) do, so
// the finite checks after a layer still see it; fmaxf(NaN, 0) would give 0 and hide it.
__device__ __forceinline__ float reel_relu(float v) { return v < 0.0f ? 0.0f : v; }

// Every element-wise kernel walks its range with this grid-stride loop, so the host may
// cap the grid (REEL: LaunchGeometry.Linear) and any n is covered.
#define REEL_GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * gridDim.x)

// Element i of a stack of (h, w) planes in row-major order: its plane, row and column. Kernels
// that give each thread one pixel of N·C planes split their grid-stride index with this
// (`auto [plane, y, x] = reel_pixel_of(i, h, w);`).
struct reel_pixel {
    long long plane;
    int y, x;
};
__device__ __forceinline__ reel_pixel reel_pixel_of(long long i, int h, int w) {
    long long rest = i / w;
    return reel_pixel{rest / h, (int)(rest % h), (int)(i % w)};
}

#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
