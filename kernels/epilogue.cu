// Per-element epilogues that follow a cuDNN convolution when it cannot fuse them:
// the ECCV16 colorizer's BatchNorm *after* its ReLU (a per-channel affine that must not be
// folded into the next conv), bias + ReLU and plain ReLU, on NCHW float (scale or shift may be null,
// then 1 or 0, so one kernel covers bias-only, BN-affine and ReLU-only); and bias + ReLU on the
// bfloat16 NHWC activations inside a bf16 convolution chain.
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

// Bias and ReLU in place on bfloat16 NHWC activations (channels innermost) between the layers of a
// convolution chain in bf16 (CudnnConvolutions.RunChain). The float result is rounded to bfloat16 as the
// next layer's input conversion would round it, so a chain gives its layers' values one at a time. bias
// may be null (0). Where channels is a multiple of 4, a thread takes 4 neighbours in one 8-byte access
// and finds their channel with one 64-bit division instead of four.
extern "C" __global__ void bias_act_nhwc_bf16(unsigned short* y, const float* __restrict__ bias, int channels, long long total, int relu) {
    if ((channels & 3) == 0) {
        unsigned long long* quads = reinterpret_cast<unsigned long long*>(y);
        REEL_GRID_STRIDE(q, total >> 2) {
            unsigned long long v = quads[q], out = 0;
            int c = (int)((q << 2) % channels);
            for (int k = 0; k < 4; k++) {
                float f = reel_bf2f((unsigned short)(v >> (16 * k)));
                if (bias) f += bias[c + k];
                out |= (unsigned long long)reel_f2bf(relu ? reel_relu(f) : f) << (16 * k);
            }
            quads[q] = out;
        }
    } else {
        REEL_GRID_STRIDE(i, total) {
            float f = reel_bf2f(y[i]);
            if (bias) f += bias[(int)(i % channels)];
            y[i] = reel_f2bf(relu ? reel_relu(f) : f);
        }
    }
}
