// DnCNN's residual step fused with the caller's clamp: y = clamp(x − noise, lo, hi).
// One element per thread with a grid-stride loop, so any grid size covers any n.
#include "reel_cuda.cuh"

extern "C" __global__ void residual_subtract_clamp_f32(const float* __restrict__ x,
                                                       const float* __restrict__ noise,
                                                       float* __restrict__ y, int n, float lo, float hi) {
    REEL_GRID_STRIDE(i, n) y[i] = fminf(fmaxf(x[i] - noise[i], lo), hi);
}
