// The thumbnail scene cuts are decided on (ThumbnailOp): each output pixel the mean over all
// channels of its box, rows [y·H/h, (y+1)·H/h) × columns [x·W/w, (x+1)·W/w), summed in double in
// the reference's order (rows, columns, channels), so the cut decisions on the host are the
// CPU's. One output per thread: a thumbnail has a few hundred pixels, and a serial sum per
// pixel is what keeps the order. Only the thumbnail crosses to the host.
#include "reel_cuda.cuh"

extern "C" __global__ void thumbnail_f32(const float* __restrict__ src, float* __restrict__ dst, int frames, int channels,
                                         int in_h, int in_w, int out_h, int out_w) {
    long long total = (long long)frames * out_h * out_w;
    long long plane = (long long)in_h * in_w;
    REEL_GRID_STRIDE(i, total) {
        auto [n, y, x] = reel_pixel_of(i, out_h, out_w);
        const float* frame = src + n * channels * plane;
        int row_end = (y + 1) * in_h / out_h, col_end = (x + 1) * in_w / out_w;
        int row_start = y * in_h / out_h, col_start = x * in_w / out_w;
        double sum = 0.0;
        for (int a = row_start; a < row_end; a++)
            for (int b = col_start; b < col_end; b++)
                for (int c = 0; c < channels; c++) sum += frame[c * plane + (long long)a * in_w + b];
        dst[i] = (float)(sum / ((row_end - row_start) * (col_end - col_start) * channels));
    }
}
