// DnCNN's residual step fused with the caller's clamp: y = clamp(x − noise, lo, hi).
// One element per thread with a grid-stride loop, so any grid size covers any n.
#ifdef REEL_EMU
#include "emu/cuda_emu.h"
#endif

extern "C" __global__ void residual_subtract_clamp_f32(const float* __restrict__ x,
                                                       const float* __restrict__ noise,
                                                       float* __restrict__ y, int n, float lo, float hi) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
        y[i] = fminf(fmaxf(x[i] - noise[i], lo), hi);
}
