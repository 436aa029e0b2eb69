#include "reel_cuda.cuh"

// Pads every plane (in_h, in_w) at the bottom and right to (out_h, out_w) by mirroring: the edge
// is not repeated and a pad larger than the plane folds back again (ReferenceBackend.Mirror).
__device__ __forceinline__ int reel_mirror(int i, int size) {
    if (size == 1) return 0;
    int period = 2 * (size - 1);
    i %= period;
    return i < size ? i : period - i;
}

extern "C" __global__ void pad_reflect_f32(const float* __restrict__ src, float* __restrict__ dst, int planes, int in_h,
                                           int in_w, int out_h, int out_w) {
    long long total = (long long)planes * out_h * out_w;
    REEL_GRID_STRIDE(i, total) {
        auto [p, y, x] = reel_pixel_of(i, out_h, out_w);
        dst[i] = src[(p * in_h + reel_mirror(y, in_h)) * in_w + reel_mirror(x, in_w)];
    }
}
