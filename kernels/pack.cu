// Frame packing at the edges of the GPU pipeline and layout/precision changes between stages.
//  - u8 interleaved (ffmpeg rgb24 / gray) ↔ float planes in [0, 1] (NCHW, one frame);
//    the rounding matches ImageIO: round half away from zero after clamping to [0, 1].
//  - float ↔ half, float ↔ bfloat16, and NCHW float ↔ NHWC half for cuDNN's tensor-core convolutions.
#include "reel_cuda.cuh"

extern "C" __global__ void pack_u8_to_f32(const unsigned char* __restrict__ src, float* __restrict__ dst,
                                          int pixels, int channels) {
    REEL_GRID_STRIDE(i, pixels)
        for (int c = 0; c < channels; ++c) dst[(long long)c * pixels + i] = src[i * channels + c] / 255.0f;
}

extern "C" __global__ void unpack_f32_to_u8(const float* __restrict__ src, unsigned char* __restrict__ dst,
                                            int pixels, int channels) {
    REEL_GRID_STRIDE(i, pixels)
        for (int c = 0; c < channels; ++c) {
            float v = fminf(fmaxf(src[(long long)c * pixels + i], 0.0f), 1.0f);
            dst[i * channels + c] = (unsigned char)roundf(v * 255.0f);
        }
}

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

// A 32×32 tile of (C, HW) goes through shared memory so both the read (along HW) and the
// write (along C) are coalesced; the +1 column avoids bank conflicts. Block (32, 8),
// grid (ceil(HW/32), ceil(C/32), N).
#define REEL_TILE 32
extern "C" __global__ void __launch_bounds__(256) nchw_f32_to_nhwc_f16(const float* __restrict__ src,
                                                                       unsigned short* __restrict__ dst,
                                                                       int channels, int hw) {
    __shared__ float tile[REEL_TILE][REEL_TILE + 1];
    long long base = (long long)blockIdx.z * channels * hw;
    int p0 = blockIdx.x * REEL_TILE, c0 = blockIdx.y * REEL_TILE;
    for (int r = threadIdx.y; r < REEL_TILE; r += blockDim.y) {
        int c = c0 + r, p = p0 + threadIdx.x;
        if (c < channels && p < hw) tile[r][threadIdx.x] = src[base + (long long)c * hw + p];
    }
    __syncthreads();
    for (int r = threadIdx.y; r < REEL_TILE; r += blockDim.y) {
        int p = p0 + r, c = c0 + threadIdx.x;
        if (c < channels && p < hw) dst[base + (long long)p * channels + c] = reel_f2h(tile[threadIdx.x][r]);
    }
}

extern "C" __global__ void __launch_bounds__(256) nhwc_f16_to_nchw_f32(const unsigned short* __restrict__ src,
                                                                       float* __restrict__ dst,
                                                                       int channels, int hw) {
    __shared__ float tile[REEL_TILE][REEL_TILE + 1];
    long long base = (long long)blockIdx.z * channels * hw;
    int p0 = blockIdx.x * REEL_TILE, c0 = blockIdx.y * REEL_TILE;
    for (int r = threadIdx.y; r < REEL_TILE; r += blockDim.y) {
        int p = p0 + r, c = c0 + threadIdx.x;
        if (c < channels && p < hw) tile[r][threadIdx.x] = reel_h2f(src[base + (long long)p * channels + c]);
    }
    __syncthreads();
    for (int r = threadIdx.y; r < REEL_TILE; r += blockDim.y) {
        int c = c0 + r, p = p0 + threadIdx.x;
        if (c < channels && p < hw) dst[base + (long long)c * hw + p] = tile[threadIdx.x][r];
    }
}

// Copies an h×w window of every plane: src (planes, src_h, src_w) from (src_y, src_x) to dst
// (planes, dst_h, dst_w) at (dst_y, dst_x). Cuts a tile with its halo out of a frame, and
// pastes a tile's core back. The host keeps both windows inside their planes.
extern "C" __global__ void copy_window_f32(const float* __restrict__ src, float* __restrict__ dst, int planes,
                                           int src_h, int src_w, int src_y, int src_x, int dst_h, int dst_w, int dst_y,
                                           int dst_x, int h, int w) {
    long long total = (long long)planes * h * w;
    REEL_GRID_STRIDE(i, total) {
        int x = (int)(i % w);
        long long rest = i / w;
        int y = (int)(rest % h);
        long long p = rest / h;
        dst[(p * dst_h + dst_y + y) * dst_w + dst_x + x] = src[(p * src_h + src_y + y) * src_w + src_x + x];
    }
}

// Pads every plane (in_h, in_w) at the bottom and right to (out_h, out_w) by mirroring: the edge
// is not repeated and a pad larger than the plane folds back again (ReferenceBackend.Mirror).
__device__ __forceinline__ int reel_mirror(int i, int size) {
    if (size == 1) return 0;
    int period = 2 * (size - 1);
    i %= period;
    return i < size ? i : period - i;
}

extern "C" __global__ void pad_reflect_f32(const float* __restrict__ src, float* __restrict__ dst, int planes, int in_h,
                                           int in_w, int out_h, int out_w) {
    long long total = (long long)planes * out_h * out_w;
    REEL_GRID_STRIDE(i, total) {
        int x = (int)(i % out_w);
        long long rest = i / out_w;
        int y = (int)(rest % out_h);
        long long p = rest / out_h;
        dst[i] = src[(p * in_h + reel_mirror(y, in_h)) * in_w + reel_mirror(x, in_w)];
    }
}
