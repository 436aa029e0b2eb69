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
        auto [plane, oy, ox] = reel_pixel_of(i, out_h, out_w);
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

// PyTorch's source index in double, as the CPU's gradient computes it (ReferenceBackend.SourceIndex).
__device__ __forceinline__ void reel_source_index_f64(int o, int in_size, int out_size, int align_corners,
                                                      int& i0, int& i1, double& frac) {
    double src = align_corners ? (out_size > 1 ? o * (double)(in_size - 1) / (out_size - 1) : 0.0)
                               : fmax((o + 0.5) * in_size / out_size - 0.5, 0.0);
    i0 = min((int)src, in_size - 1);
    i1 = min(i0 + 1, in_size - 1);
    frac = src - i0;
}

// Training: ∂L/∂x of the bilinear resize, gathered per input element (deterministic, no atomics).
// The fast CPU path works separably: each output row is added, weighted by its float row weight,
// into the rows it was read from (a fused multiply-add per element, rows in output order), then
// each input column sums its source columns' row sums times their float column weights (a
// product, then an add, in output-column order, the column's first source weight before its
// second). Redoing those sums in that order from 0 gives the same floats bit for bit. The outputs
// that can reach input row i lie within ceil(out/in) + 2 rows of i·out/in (likewise for columns).
extern "C" __global__ void resize_bilinear_backward_f32(const float* __restrict__ dy, float* __restrict__ dx,
                                                        int in_h, int in_w, int out_h, int out_w, int planes,
                                                        int align_corners) {
    long long total = (long long)planes * in_h * in_w;
    int reach_y = (out_h + in_h - 1) / in_h + 2, reach_x = (out_w + in_w - 1) / in_w + 2;
    REEL_GRID_STRIDE(i, total) {
        auto [plane, iy, ix] = reel_pixel_of(i, in_h, in_w);
        const float* g = dy + plane * out_h * out_w;
        int cy = (int)((iy + 0.5) * out_h / in_h), cx = (int)((ix + 0.5) * out_w / in_w);
        int oy0 = max(cy - reach_y, 0), oy1 = min(cy + reach_y, out_h - 1);
        int ox0 = max(cx - reach_x, 0), ox1 = min(cx + reach_x, out_w - 1);
        float sum = 0.0f;
        for (int ox = ox0; ox <= ox1; ++ox) {
            int x0, x1;
            double fx;
            reel_source_index_f64(ox, in_w, out_w, align_corners, x0, x1, fx);
            if (x0 != ix && x1 != ix) continue;
            // Row iy of the scratch at column ox: the output rows that read row iy, in order.
            float row = 0.0f;
            for (int oy = oy0; oy <= oy1; ++oy) {
                int y0, y1;
                double fy;
                reel_source_index_f64(oy, in_h, out_h, align_corners, y0, y1, fy);
                float v = g[oy * out_w + ox];
                if (y0 == iy) row = fmaf(v, (float)(1.0 - fy), row);
                if (y1 == iy) row = fmaf(v, (float)fy, row);
            }
            if (x0 == ix) sum = __fadd_rn(sum, __fmul_rn(row, (float)(1.0 - fx)));
            if (x1 == ix) sum = __fadd_rn(sum, __fmul_rn(row, (float)fx));
        }
        dx[i] = sum;
    }
}
