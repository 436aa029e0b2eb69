// Per-element epilogues that follow a cuDNN convolution when it cannot fuse them:
// the ECCV16 colorizer's BatchNorm *after* its ReLU (a per-channel affine that must not be
// folded into the next conv), bias + ReLU, plain ReLU, and the small element-wise ops of the
// op set (subtract, clamp). NCHW float and NHWC half variants. scale or shift may be null
// (then 1 or 0), so one kernel covers bias-only, BN-affine and ReLU-only.
#include "reel_cuda.cuh"

extern "C" __global__ void affine_act_f32(const float* __restrict__ x, float* __restrict__ y,
                                          const float* __restrict__ scale, const float* __restrict__ shift,
                                          int channels, int plane, long long total, int relu) {
    REEL_GRID_STRIDE(i, total) {
        int c = (int)((i / plane) % channels);
        float v = x[i];
        if (scale) v *= scale[c];
        if (shift) v += shift[c];
        y[i] = relu ? fmaxf(v, 0.0f) : v;
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
        y[i] = reel_f2h(relu ? fmaxf(v, 0.0f) : v);
    }
}

extern "C" __global__ void subtract_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y,
                                        long long n) {
    REEL_GRID_STRIDE(i, n) y[i] = a[i] - b[i];
}

extern "C" __global__ void clamp_f32(const float* __restrict__ x, float* __restrict__ y, long long n, float lo,
                                     float hi) {
    REEL_GRID_STRIDE(i, n) y[i] = fminf(fmaxf(x[i], lo), hi);
}

// Training: ∂L/∂x of y = relu(x) given y (the saved activation), in place on the gradient.
extern "C" __global__ void relu_backward_f32(const float* __restrict__ y, float* __restrict__ grad, long long n) {
    REEL_GRID_STRIDE(i, n) if (!(y[i] > 0.0f)) grad[i] = 0.0f;
}

// y (N, Ca, HW) = a (N, Ca, HW) + channels [offset, offset + Ca) of b (N, Cb, HW): a gradient
// accumulated from a run of another's channels (a concat's skip half). y may be a.
extern "C" __global__ void add_channels_f32(const float* a, const float* __restrict__ b, float* y, int ca, int cb,
                                            int offset, int hw, int batch) {
    long long per_frame = (long long)ca * hw, total = per_frame * batch;
    REEL_GRID_STRIDE(i, total) {
        long long n = i / per_frame, k = i % per_frame;
        y[i] = a[i] + b[n * cb * hw + (long long)offset * hw + k];
    }
}
