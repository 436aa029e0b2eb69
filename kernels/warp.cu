// Warping along a flow (WarpOp): one thread per pixel, every channel of it; grid.y is the frame.
// As FlowSampling.WarpRows, bit for bit.
#include "bilinear.cuh"

// y(p) = x(p + flow(p)) for the C planes of a frame: x, y (N, C, H, W), flow (N, 2, H, W).
extern "C" __global__ void warp_bilinear_f32(const float* __restrict__ x, const float* __restrict__ flow,
                                             float* __restrict__ y, int channels, int h, int w) {
    long long plane = (long long)h * w, frame = blockIdx.y;
    const float* f = flow + frame * 2 * plane;
    REEL_GRID_STRIDE(p, plane) {
        int i = (int)(p / w), j = (int)(p % w);
        float sx = (float)j + f[p], sy = (float)i + f[plane + p];
        for (int c = 0; c < channels; ++c) {
            long long at = (frame * channels + c) * plane;
            y[at + p] = reel_bilinear(x + at, w, h, sx, sy);
        }
    }
}
