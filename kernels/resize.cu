// Bilinear resize of every plane, PyTorch's upsample_bilinear2d source-index rule (no
// antialias) with either align_corners convention, as ReferenceBackend.Resize. Used for the
// colorizer's ×4 ab upsample (align_corners false), the U-Net decoder's ×2 (true) and
// ab back to full frame size. One output element per thread; planes = N·C.
#include "reel_cuda.cuh"

__device__ __forceinline__ void reel_source_index(int o, int in_size, int out_size, int align_corners,
                                                  int& i0, int& i1, float& frac) {
    float src = align_corners ? (out_size > 1 ? o * (float)(in_size - 1) / (out_size - 1) : 0.0f)
                              : fmaxf((o + 0.5f) * in_size / out_size - 0.5f, 0.0f);
    i0 = min((int)src, in_size - 1);
    i1 = min(i0 + 1, in_size - 1);
    frac = src - i0;
}

extern "C" __global__ void resize_bilinear_f32(const float* __restrict__ src, float* __restrict__ dst, int in_h,
                                               int in_w, int out_h, int out_w, int planes, int align_corners) {
    long long total = (long long)planes * out_h * out_w;
    REEL_GRID_STRIDE(i, total) {
        int ox = (int)(i % out_w);
        long long rest = i / out_w;
        int oy = (int)(rest % out_h);
        long long plane = rest / out_h;
        int y0, y1, x0, x1;
        float fy, fx;
        reel_source_index(oy, in_h, out_h, align_corners, y0, y1, fy);
        reel_source_index(ox, in_w, out_w, align_corners, x0, x1, fx);
        const float* p = src + plane * in_h * in_w;
        float top = p[y0 * in_w + x0] * (1.0f - fx) + p[y0 * in_w + x1] * fx;
        float bottom = p[y1 * in_w + x0] * (1.0f - fx) + p[y1 * in_w + x1] * fx;
        dst[i] = top * (1.0f - fy) + bottom * fy;
    }
}
