// Box-averaged downscale of every plane by an integer factor (DecimateOp), as
// ReferenceBackend.BoxMean: each block summed in double in row-major order and divided by the
// pixels it holds (blocks cut short by the bottom or right edge hold fewer), so the GPU gives
// the reference's bits. The prior's coarse epochs train on these frames. One output element per
// thread; planes = N·C.
#include "reel_cuda.cuh"

extern "C" __global__ void decimate_box_f32(const float* __restrict__ src, float* __restrict__ dst, int planes, int in_h,
                                            int in_w, int out_h, int out_w, int factor) {
    long long total = (long long)planes * out_h * out_w;
    REEL_GRID_STRIDE(i, total) {
        auto [p, y, x] = reel_pixel_of(i, out_h, out_w);
        const float* plane = src + p * in_h * in_w;
        int row_end = min(in_h, (y + 1) * factor), col_end = min(in_w, (x + 1) * factor);
        double sum = 0.0;
        for (int a = y * factor; a < row_end; a++)
            for (int b = x * factor; b < col_end; b++) sum += plane[(long long)a * in_w + b];
        dst[i] = (float)(sum / ((row_end - y * factor) * (col_end - x * factor)));
    }
}
