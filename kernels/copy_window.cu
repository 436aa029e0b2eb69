#include "reel_cuda.cuh"

// Copies an h×w window of every plane: src (planes, src_h, src_w) from (src_y, src_x) to dst
// (planes, dst_h, dst_w) at (dst_y, dst_x). Cuts a tile with its halo out of a frame, and
// pastes a tile's core back. The host keeps both windows inside their planes.
extern "C" __global__ void copy_window_f32(const float* __restrict__ src, float* __restrict__ dst, int planes,
                                           int src_h, int src_w, int src_y, int src_x, int dst_h, int dst_w, int dst_y,
                                           int dst_x, int h, int w) {
    long long total = (long long)planes * h * w;
    REEL_GRID_STRIDE(i, total) {
        auto [p, y, x] = reel_pixel_of(i, h, w);
        dst[(p * dst_h + dst_y + y) * dst_w + dst_x + x] = src[(p * src_h + src_y + y) * src_w + src_x + x];
    }
}
