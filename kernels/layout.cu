// NCHW float ↔ NHWC half or bfloat16, the layout cuDNN's tensor-core convolutions prefer. The
// bfloat16 pair also carries convolution filters: (K, C, R, S) → (K, R, S, C) is the same
// transpose with K as the frames and R·S as the pixels.
#include "reel_cuda.cuh"

template <bool Bf16> __device__ __forceinline__ unsigned short reel_narrow(float v) { return Bf16 ? reel_f2bf(v) : reel_f2h(v); }
template <bool Bf16> __device__ __forceinline__ float reel_widen(unsigned short v) { return Bf16 ? reel_bf2f(v) : reel_h2f(v); }

// A 32×32 tile of (C, HW) goes through shared memory so both the read (along HW) and the
// write (along C) are coalesced; the +1 column avoids bank conflicts. Block (32, 8),
// grid (ceil(HW/32), ceil(C/32), N).
#define REEL_TILE 32
template <bool Bf16>
__device__ __forceinline__ void reel_nchw_to_nhwc(const float* __restrict__ src, unsigned short* __restrict__ dst, int channels, int hw) {
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
        if (c < channels && p < hw) dst[base + (long long)p * channels + c] = reel_narrow<Bf16>(tile[threadIdx.x][r]);
    }
}

// With Epilogue, a convolution's bias (may be null) and ReLU are applied on the way out, in affine_act_f32's
// order and arithmetic, so the float result is not read and written once more.
template <bool Bf16, bool Epilogue = false>
__device__ __forceinline__ void reel_nhwc_to_nchw(const unsigned short* __restrict__ src, float* __restrict__ dst, int channels, int hw,
                                                  const float* __restrict__ bias = nullptr, int relu = 0) {
    __shared__ float tile[REEL_TILE][REEL_TILE + 1];
    long long base = (long long)blockIdx.z * channels * hw;
    int p0 = blockIdx.x * REEL_TILE, c0 = blockIdx.y * REEL_TILE;
    for (int r = threadIdx.y; r < REEL_TILE; r += blockDim.y) {
        int p = p0 + r, c = c0 + threadIdx.x;
        if (c < channels && p < hw) tile[r][threadIdx.x] = reel_widen<Bf16>(src[base + (long long)p * channels + c]);
    }
    __syncthreads();
    for (int r = threadIdx.y; r < REEL_TILE; r += blockDim.y) {
        int c = c0 + r, p = p0 + threadIdx.x;
        if (c < channels && p < hw) {
            float v = tile[threadIdx.x][r];
            if (Epilogue) {
                if (bias) v += bias[c];
                if (relu) v = reel_relu(v);
            }
            dst[base + (long long)c * hw + p] = v;
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) nchw_f32_to_nhwc_f16(const float* __restrict__ src, unsigned short* __restrict__ dst,
                                                                       int channels, int hw) {
    reel_nchw_to_nhwc<false>(src, dst, channels, hw);
}

extern "C" __global__ void __launch_bounds__(256) nhwc_f16_to_nchw_f32(const unsigned short* __restrict__ src, float* __restrict__ dst,
                                                                       int channels, int hw) {
    reel_nhwc_to_nchw<false>(src, dst, channels, hw);
}

extern "C" __global__ void __launch_bounds__(256) nchw_f32_to_nhwc_bf16(const float* __restrict__ src, unsigned short* __restrict__ dst,
                                                                        int channels, int hw) {
    reel_nchw_to_nhwc<true>(src, dst, channels, hw);
}

extern "C" __global__ void __launch_bounds__(256) nhwc_bf16_to_nchw_f32(const unsigned short* __restrict__ src, float* __restrict__ dst,
                                                                        int channels, int hw) {
    reel_nhwc_to_nchw<true>(src, dst, channels, hw);
}

// A bf16 convolution's NHWC result widened to NCHW float with its bias and ReLU: the widen and the epilogue in one pass.
extern "C" __global__ void __launch_bounds__(256) nhwc_bf16_to_nchw_f32_bias_act(const unsigned short* __restrict__ src, float* __restrict__ dst,
                                                                                 const float* __restrict__ bias, int channels, int hw, int relu) {
    reel_nhwc_to_nchw<true, true>(src, dst, channels, hw, bias, relu);
}
