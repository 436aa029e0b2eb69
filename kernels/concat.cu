#include "reel_cuda.cuh"

// y (N, Ca + Cb, HW) = [a (N, Ca, HW), b (N, Cb, HW)] along channels.
extern "C" __global__ void concat_channels_f32(const float* __restrict__ a, const float* __restrict__ b,
                                               float* __restrict__ y, int ca, int cb, int hw, int batch) {
    long long per_frame = (long long)(ca + cb) * hw, total = per_frame * batch;
    REEL_GRID_STRIDE(i, total) {
        long long n = i / per_frame, k = i % per_frame;
        y[i] = k < (long long)ca * hw ? a[n * ca * hw + k] : b[n * cb * hw + k - (long long)ca * hw];
    }
}
