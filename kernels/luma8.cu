// The 8-bit luma the optical flow runs on (Luma8Op), OpenCV's RGB2GRAY on 8-bit RGB, bit for bit
// the reference's: each channel quantized as floor(v·255 + 0.5) in double, clipped to 0–255
// (v·255 is exact in double, so a contraction into an FMA cannot change it), the weighted sum
// in integers, and one correctly rounded float division by 255 (NVRTC runs without fast math).
// (N, 3, plane) → (N, 1, plane); grid.y is the frame index.
#include "reel_cuda.cuh"

__device__ __forceinline__ int reel_level8(float v) {
    double q = floor((double)v * 255.0 + 0.5);
    return (int)fmin(fmax(q, 0.0), 255.0);
}

extern "C" __global__ void luma8_f32(const float* __restrict__ rgb, float* __restrict__ luma, int plane) {
    const float* src = rgb + (long long)blockIdx.y * 3 * plane;
    float* dst = luma + (long long)blockIdx.y * plane;
    REEL_GRID_STRIDE(i, plane) {
        int r = reel_level8(src[i]), g = reel_level8(src[plane + i]), b = reel_level8(src[2 * plane + i]);
        dst[i] = (float)((4899 * r + 9617 * g + 1868 * b + (1 << 13)) >> 14) / 255.0f;
    }
}
