// Frame packing at the edges of the GPU pipeline: u8 interleaved (ffmpeg rgb24 / gray) ↔ float
// planes in [0, 1] (NCHW, one frame); the rounding matches ImageIO: round half away from zero
// after clamping to [0, 1].
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
