// The small element-wise ops of the op set: subtract (SubtractOp), clamp (ClampOp) and the sum of
// a tensor with a run of another's channels (AddOp). One element per thread, grid-stride.
#include "reel_cuda.cuh"

extern "C" __global__ void subtract_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y,
                                        long long n) {
    REEL_GRID_STRIDE(i, n) y[i] = a[i] - b[i];
}

extern "C" __global__ void clamp_f32(const float* __restrict__ x, float* __restrict__ y, long long n, float lo,
                                     float hi) {
    REEL_GRID_STRIDE(i, n) y[i] = fminf(fmaxf(x[i], lo), hi);
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
