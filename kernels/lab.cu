// sRGB ↔ CIE Lab (D65, 2°) per pixel on (N, 3, H, W) planes, the formulas of
// engine/Color/Lab.cs (skimage's rgb2lab / lab2rgb): sRGB → Lab in double, as the reference, the
// way back in float. grid.y is the frame index.
#include "reel_cuda.cuh"

__device__ __forceinline__ float reel_to_linear(float c) {
    return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}
__device__ __forceinline__ float reel_to_gamma(float c) {
    return c <= 0.0031308f ? 12.92f * c : 1.055f * powf(c, 1.0f / 2.4f) - 0.055f;
}
// δ = 6/29: f(t) = cbrt(t) above δ³, else t/(3δ²) + 4/29.
__device__ __forceinline__ float reel_lab_f(float t) {
    return t > 0.008856451679f ? cbrtf(t) : t * 7.787037037f + 0.1379310345f;
}
__device__ __forceinline__ float reel_lab_f_inverse(float t) {
    return t > 0.2068965517f ? t * t * t : 0.1284185493f * (t - 0.1379310345f);
}

// Linear sRGB → CIE Y (the white's Y is 1): the middle row of the matrix below.
__device__ __forceinline__ float reel_luminance(float r, float g, float b) {
    return 0.212671f * r + 0.715160f * g + 0.072169f * b;
}

__device__ __forceinline__ double reel_to_linear_wide(double c) {
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}
__device__ __forceinline__ double reel_lab_f_wide(double t) {
    const double delta = 6.0 / 29.0;
    return t > delta * delta * delta ? cbrt(t) : t / (3.0 * delta * delta) + 4.0 / 29.0;
}

// In double: computed in float, a and b carry rounding noise of up to 1e-4 that the reference's do not,
// and the prior trained in chroma mode on such targets came out less steady (engine/Backends/Cpu/FastLab.cs).
extern "C" __global__ void rgb_to_lab_f32(const float* __restrict__ rgb, float* __restrict__ lab, int plane) {
    long long base = (long long)blockIdx.y * 3 * plane;
    const float* src = rgb + base;
    float* dst = lab + base;
    REEL_GRID_STRIDE(i, plane) {
        double r = reel_to_linear_wide(src[i]), g = reel_to_linear_wide(src[plane + i]), b = reel_to_linear_wide(src[2 * plane + i]);
        double x = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.95047;
        double y = 0.212671 * r + 0.715160 * g + 0.072169 * b;
        double z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.08883;
        double fx = reel_lab_f_wide(x), fy = reel_lab_f_wide(y), fz = reel_lab_f_wide(z);
        dst[i] = (float)(116.0 * fy - 16.0);
        dst[plane + i] = (float)(500.0 * (fx - fy));
        dst[2 * plane + i] = (float)(200.0 * (fy - fz));
    }
}

// One (L, a, b) → sRGB clipped to [0, 1] into dst[0], dst[plane], dst[2 * plane]. The inverse
// matrix is the exact inverse of the one above (as Lab.cs computes it in double).
__device__ __forceinline__ void reel_lab_to_rgb(float l, float a, float bb, float* dst, int plane) {
    float fy = (l + 16.0f) / 116.0f, fx = fy + a / 500.0f, fz = fy - bb / 200.0f;
    float x = reel_lab_f_inverse(fx) * 0.95047f, y = reel_lab_f_inverse(fy),
          z = reel_lab_f_inverse(fmaxf(fz, 0.0f)) * 1.08883f;
    float r = 3.24048134f * x - 1.53715152f * y - 0.49853633f * z;
    float g = -0.96925495f * x + 1.87599f * y + 0.04155593f * z;
    float b = 0.05564664f * x - 0.20404134f * y + 1.05731107f * z;
    dst[0] = __saturatef(reel_to_gamma(r));
    dst[plane] = __saturatef(reel_to_gamma(g));
    dst[2 * plane] = __saturatef(reel_to_gamma(b));
}

extern "C" __global__ void lab_to_rgb_f32(const float* __restrict__ lab, float* __restrict__ rgb, int plane) {
    long long base = (long long)blockIdx.y * 3 * plane;
    const float* src = lab + base;
    float* dst = rgb + base;
    REEL_GRID_STRIDE(i, plane) {
        reel_lab_to_rgb(src[i], src[plane + i], src[2 * plane + i], dst + i, plane);
    }
}

// RecolorOp: the frame's own L (channels = 3: sRGB; 1: gray, read as equal channels, whose linear
// value is its luminance) with ab's a, b, back to sRGB: (N, channels, plane), (N, 2, plane) → (N, 3, plane).
extern "C" __global__ void recolor_f32(const float* __restrict__ frame, const float* __restrict__ ab,
                                       float* __restrict__ rgb, int channels, int plane) {
    const float* src = frame + (long long)blockIdx.y * channels * plane;
    const float* chroma = ab + (long long)blockIdx.y * 2 * plane;
    float* dst = rgb + (long long)blockIdx.y * 3 * plane;
    int g = channels == 3 ? plane : 0;
    REEL_GRID_STRIDE(i, plane) {
        float y = reel_luminance(reel_to_linear(src[i]), reel_to_linear(src[g + i]), reel_to_linear(src[2 * g + i]));
        reel_lab_to_rgb(116.0f * reel_lab_f(y) - 16.0f, chroma[i], chroma[plane + i], dst + i, plane);
    }
}
