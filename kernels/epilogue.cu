// Per-element epilogues that follow a cuDNN convolution when it cannot fuse them:
// the ECCV16 colorizer's BatchNorm *after* its ReLU (a per-channel affine that must not be
// folded into the next conv), bias + ReLU and plain ReLU. NCHW float and NHWC half variants.
// scale or shift may be null (then 1 or 0), so one kernel covers bias-only, BN-affine and ReLU-only.
#include "reel_cuda.cuh"

extern "C" __global__ void affine_act_f32(const float* __restrict__ x, float* __restrict__ y,
                                          const float* __restrict__ scale, const float* __restrict__ shift,
                                          int channels, int plane, long long total, int relu) {
    REEL_GRID_STRIDE(i, total) {
        int c = (int)((i / plane) % channels);
        float v = x[i];
        if (scale) v *= scale[c];
        if (shift) v += shift[c];
        y[i] = relu ? reel_relu(v) : v;
    }
}

extern "C" __global__ void affine_act_nhwc_f16(const unsigned short* __restrict__ x, unsigned short* __restrict__ y,
                                               const float* __restrict__ scale, const float* __restrict__ shift,
                                               int channels, long long total, int relu) {
    REEL_GRID_STRIDE(i, total) {
        int c = (int)(i % channels);
        float v = reel_h2f(x[i]);
        if (scale) v *= scale[c];
        if (shift) v += shift[c];
        y[i] = reel_f2h(relu ? reel_relu(v) : v);
    }
}
