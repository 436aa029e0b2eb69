// DIS optical flow (OpticalFlowOp) on the GPU, one kernel per step of engine/Backends/Cpu/DisFlow.cs,
// which the host code (CudaDisFlow) calls in the same order. Each kernel does the reference's
// float (and double) operations in the same order, with every product that meets an addition
// written as __fmul_rn / __dmul_rn so nothing is fused into an FMA: the result is the CPU
// reference's, bit for bit, on the emulator and on a GPU. Planes are row-major floats holding
// whole 8-bit levels; grid-stride loops, one pixel (or patch) per thread, unless noted.
#include "bilinear.cuh"

#define REEL_DIS_PATCH 8
#define REEL_DIS_BORDER 16
#define REEL_DIS_STRIPES 8

// [0, 1] → whole 8-bit levels, rounded half away from zero.
extern "C" __global__ void dis_quantize_f32(const float* __restrict__ x, float* __restrict__ q, int n) {
    REEL_GRID_STRIDE(i, n) q[i] = roundf(fminf(fmaxf(__fmul_rn(x[i], 255.0f), 0.0f), 255.0f));
}

// One destination cell of OpenCV's area table along an axis: the source pixels and their shares.
__device__ __forceinline__ int reel_area_cell(int d, int src_size, int dst_size, int* index, double* weight) {
    double scale = (double)src_size / dst_size;
    double f1 = __dmul_rn((double)d, scale), f2 = f1 + scale, width = fmin(scale, src_size - f1);
    int s1 = (int)ceil(f1), s2 = min((int)floor(f2), src_size - 1);
    s1 = min(s1, s2);
    int n = 0;
    if (s1 - f1 > 1e-3) { index[n] = s1 - 1; weight[n++] = (s1 - f1) / width; }
    for (int s = s1; s < s2; ++s) { index[n] = s; weight[n++] = 1.0 / width; }
    if (f2 - s2 > 1e-3) { index[n] = s2; weight[n++] = fmin(fmin(f2 - s2, 1.0), width) / width; }
    return n;
}

// INTER_AREA of an 8-bit level: 2×2 blocks rounded half up when the ratio is exactly 2, else
// overlap-weighted (ratio below 7) and rounded to nearest even.
extern "C" __global__ void dis_area_resize_f32(const float* __restrict__ src, float* __restrict__ dst, int sw, int sh,
                                               int dw, int dh) {
    REEL_GRID_STRIDE(p, (long long)dw * dh) {
        int i = (int)(p / dw), j = (int)(p % dw);
        if (sw == 2 * dw && sh == 2 * dh) {
            const float* a = src + 2 * i * sw + 2 * j;
            int sum = (int)a[0] + (int)a[1] + (int)a[sw] + (int)a[sw + 1];
            dst[p] = (float)((sum + 2) >> 2);
            continue;
        }
        int ix[8], iy[8];
        double wx[8], wy[8];
        int nx = reel_area_cell(j, sw, dw, ix, wx), ny = reel_area_cell(i, sh, dh, iy, wy);
        double sum = 0.0;
        for (int a = 0; a < ny; ++a)
            for (int b = 0; b < nx; ++b) sum += __dmul_rn(__dmul_rn(wy[a], wx[b]), (double)src[iy[a] * sw + ix[b]]);
        dst[p] = (float)fmin(fmax(rint(sum), 0.0), 255.0);
    }
}

__device__ __forceinline__ int reel_reflect101(int i, int n) { return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i; }

// 3×3 Sobel gradients, border reflected (101), as OpenCV's spatialGradient.
extern "C" __global__ void dis_sobel_f32(const float* __restrict__ x, float* __restrict__ gx, float* __restrict__ gy,
                                         int w, int h) {
    REEL_GRID_STRIDE(p, (long long)w * h) {
        int i = (int)(p / w), j = (int)(p % w);
        int up = reel_reflect101(i - 1, h) * w, row = i * w, down = reel_reflect101(i + 1, h) * w;
        int l = reel_reflect101(j - 1, w), r = reel_reflect101(j + 1, w);
        gx[p] = (x[up + r] - x[up + l]) + 2.0f * (x[row + r] - x[row + l]) + (x[down + r] - x[down + l]);
        gy[p] = (x[down + l] - x[up + l]) + 2.0f * (x[down + j] - x[up + j]) + (x[down + r] - x[up + r]);
    }
}

// The level with a replicated border of REEL_DIS_BORDER pixels: ext is (h + 32) × (w + 32).
extern "C" __global__ void dis_extend_f32(const float* __restrict__ x, float* __restrict__ ext, int w, int h) {
    int ew = w + 2 * REEL_DIS_BORDER, eh = h + 2 * REEL_DIS_BORDER;
    REEL_GRID_STRIDE(p, (long long)ew * eh) {
        int i = min(max((int)(p / ew) - REEL_DIS_BORDER, 0), h - 1), j = min(max((int)(p % ew) - REEL_DIS_BORDER, 0), w - 1);
        ext[p] = x[i * w + j];
    }
}

// Per patch of the grid (cols × rows, corners every `stride` pixels): Σ gx², Σ gy², Σ gx·gy, Σ gx, Σ gy.
extern "C" __global__ void dis_structure_tensor_f32(const float* __restrict__ gx, const float* __restrict__ gy,
                                                    float* __restrict__ txx, float* __restrict__ tyy, float* __restrict__ txy,
                                                    float* __restrict__ tx, float* __restrict__ ty, int w, int cols, int rows,
                                                    int stride) {
    REEL_GRID_STRIDE(k, (long long)cols * rows) {
        int top = (int)(k / cols) * stride, left = (int)(k % cols) * stride;
        double xx = 0, yy = 0, xy = 0, x = 0, y = 0;
        for (int r = 0; r < REEL_DIS_PATCH; ++r)
            for (int c = 0; c < REEL_DIS_PATCH; ++c) {
                int at = (top + r) * w + left + c;
                double a = gx[at], b = gy[at];
                xx += __dmul_rn(a, a); yy += __dmul_rn(b, b); xy += __dmul_rn(a, b); x += a; y += b;
            }
        txx[k] = (float)xx; tyy[k] = (float)yy; txy[k] = (float)xy; tx[k] = (float)x; ty[k] = (float)y;
    }
}

// The eight column sums of a patch added pairwise, as DisFlow.SumLanes.
__device__ __forceinline__ float reel_sum_lanes(const float* c) {
    return ((c[0] + c[4]) + (c[2] + c[6])) + ((c[1] + c[5]) + (c[3] + c[7]));
}

// Sums of up to 4 per-pixel values over the 8×8 patch held by the block's 64 threads (thread
// r·8 + c holds pixel (r, c)): each column summed over rows in order by one thread, then every
// thread adds the columns pairwise, the CPU's order exactly. Every thread gets the totals.
__device__ __forceinline__ void reel_patch_sums(float v0, float v1, float v2, float v3, int count, float* out) {
    __shared__ float values[4][64];
    __shared__ float columns[4][8];
    int t = threadIdx.x;
    values[0][t] = v0; values[1][t] = v1; values[2][t] = v2; values[3][t] = v3;
    __syncthreads();
    if (t < REEL_DIS_PATCH)
        for (int q = 0; q < count; ++q) {
            float s = 0.0f;
            for (int r = 0; r < REEL_DIS_PATCH; ++r) s += values[q][r * REEL_DIS_PATCH + t];
            columns[q][t] = s;
        }
    __syncthreads();
    for (int q = 0; q < count; ++q) out[q] = reel_sum_lanes(columns[q]);
}

struct ReelTaps {
    float w00, w01, w10, w11;
    int offset;
};

// The bilinear weights of the patch at (i, j) displaced by (u, v) and its top-left tap in the extended level.
__device__ __forceinline__ ReelTaps reel_taps(int i, int j, float u, float v, int ext_w, int w, int h) {
    float y = fminf(fmaxf((float)i + v + (float)REEL_DIS_BORDER, (float)(REEL_DIS_BORDER - REEL_DIS_PATCH) + 1.0f),
                    (float)(REEL_DIS_BORDER + h) - 1.0f);
    float x = fminf(fmaxf((float)j + u + (float)REEL_DIS_BORDER, (float)(REEL_DIS_BORDER - REEL_DIS_PATCH) + 1.0f),
                    (float)(REEL_DIS_BORDER + w) - 1.0f);
    float fy = y - floorf(y), fx = x - floorf(x);
    float gy = floorf(y) + 1.0f - y, gx = floorf(x) + 1.0f - x;
    ReelTaps t;
    t.w00 = __fmul_rn(gy, gx); t.w01 = __fmul_rn(gy, fx); t.w10 = __fmul_rn(fy, gx); t.w11 = __fmul_rn(fy, fx);
    t.offset = (int)y * ext_w + (int)x;
    return t;
}

// This thread's pixel of I1(p + u) − I0(p) for the patch whose I0 corner is at o0.
__device__ __forceinline__ float reel_patch_diff(const float* i0, int o0, int w, const float* ext, int ext_w, ReelTaps t) {
    int r = threadIdx.x / REEL_DIS_PATCH, c = threadIdx.x % REEL_DIS_PATCH;
    int k1 = t.offset + r * ext_w + c;
    return __fmul_rn(t.w00, ext[k1]) + __fmul_rn(t.w01, ext[k1 + 1]) + __fmul_rn(t.w10, ext[k1 + ext_w]) +
           __fmul_rn(t.w11, ext[k1 + ext_w + 1]) - i0[o0 + r * w + c];
}

// Mean-normalized SSD of the patch at (i, j) displaced by (u, v).
__device__ __forceinline__ float reel_patch_ssd(const float* i0, const float* ext, int i, int j, float u, float v, int w,
                                                int h) {
    int ext_w = w + 2 * REEL_DIS_BORDER;
    ReelTaps t = reel_taps(i, j, u, v, ext_w, w, h);
    float d = reel_patch_diff(i0, i * w + j, w, ext, ext_w, t);
    float s[2];
    reel_patch_sums(d, __fmul_rn(d, d), 0.0f, 0.0f, 2, s);
    return s[1] - __fmul_rn(s[0], s[0]) / 64.0f;
}

// Inverse search with spatial propagation: one block of 64 threads (one per patch pixel) per
// stripe of patch rows (8 stripes, as OpenCV, so propagation never crosses a stripe), a forward
// pass then a backward pass, patches in order; the flow sums are reduced in the CPU's order.
extern "C" __global__ void __launch_bounds__(64) dis_patch_search_f32(
    const float* __restrict__ i0, const float* __restrict__ ext, const float* __restrict__ gx, const float* __restrict__ gy,
    const float* __restrict__ txx, const float* __restrict__ tyy, const float* __restrict__ txy,
    const float* __restrict__ tx, const float* __restrict__ ty, const float* __restrict__ ux, const float* __restrict__ uy,
    float* sx, float* sy, int w, int h, int cols, int rows, int stride, int inner) {
    int per = (rows + REEL_DIS_STRIPES - 1) / REEL_DIS_STRIPES;
    int begin = min((int)blockIdx.x * per, rows), end = min(((int)blockIdx.x + 1) * per, rows);
    int ext_w = w + 2 * REEL_DIS_BORDER;
    int r = threadIdx.x / REEL_DIS_PATCH, c = threadIdx.x % REEL_DIS_PATCH;
    for (int pass = 0; pass < 2; ++pass) {
        int dir = pass == 0 ? 1 : -1;
        int first_row = dir > 0 ? begin : end - 1, stop_row = dir > 0 ? end : begin - 1;
        int first_col = dir > 0 ? 0 : cols - 1, stop_col = dir > 0 ? cols : -1;
        for (int ps = first_row; ps != stop_row; ps += dir)
            for (int qs = first_col; qs != stop_col; qs += dir) {
                int k = ps * cols + qs, i = ps * stride, j = qs * stride;
                float u = pass == 0 ? ux[(i + REEL_DIS_PATCH / 2) * w + j + REEL_DIS_PATCH / 2] : sx[k];
                float v = pass == 0 ? uy[(i + REEL_DIS_PATCH / 2) * w + j + REEL_DIS_PATCH / 2] : sy[k];
                float best = reel_patch_ssd(i0, ext, i, j, u, v, w, h);
                for (int cand = 0; cand < 2; ++cand) {
                    if (cand == 0 ? qs == first_col : ps == first_row) continue;
                    int from = cand == 0 ? k - dir : k - dir * cols;
                    float cu = sx[from], cv = sy[from];
                    float ssd = reel_patch_ssd(i0, ext, i, j, cu, cv, w, h);
                    if (ssd < best) { best = ssd; u = cu; v = cv; }
                }
                float det = __fmul_rn(txx[k], tyy[k]) - __fmul_rn(txy[k], txy[k]);
                if (fabsf(det) < 0.001f) det = 0.001f;
                float h11 = tyy[k] / det, h12 = -txy[k] / det, h22 = txx[k] / det;
                float cur_u = u, cur_v = v, previous = 1e10f;
                for (int it = 0; it < inner; ++it) {
                    ReelTaps t = reel_taps(i, j, cur_u, cur_v, ext_w, w, h);
                    int at = (i + r) * w + j + c;
                    float d = reel_patch_diff(i0, i * w + j, w, ext, ext_w, t);
                    float s[4];
                    reel_patch_sums(__fmul_rn(d, gx[at]), __fmul_rn(d, gy[at]), __fmul_rn(d, d), d, 4, s);
                    float dux = s[0] - __fmul_rn(s[3], tx[k]) / 64.0f, duy = s[1] - __fmul_rn(s[3], ty[k]) / 64.0f;
                    float ssd = s[2] - __fmul_rn(s[3], s[3]) / 64.0f;
                    cur_u -= __fmul_rn(h11, dux) + __fmul_rn(h12, duy);
                    cur_v -= __fmul_rn(h12, dux) + __fmul_rn(h22, duy);
                    if (ssd >= previous) break;
                    previous = ssd;
                }
                double mx = (double)(cur_u - u), my = (double)(cur_v - v);
                if (sqrt(__dmul_rn(mx, mx) + __dmul_rn(my, my)) <= REEL_DIS_PATCH) { u = cur_u; v = cur_v; }
                if (threadIdx.x == 0) { sx[k] = u; sy[k] = v; }
                __syncthreads();
            }
    }
}

// The first and last patch along one axis covering pixel i (past the last patch: the last).
__device__ __forceinline__ void reel_covering(int i, int count, int stride, int& first, int& last) {
    last = min(count - 1, i / stride);
    first = i < REEL_DIS_PATCH ? 0 : min((i - REEL_DIS_PATCH) / stride + 1, last);
}

// Dense flow: each pixel averages the patches covering it, weighted by 1 / max(1, |I1(p + u) − I0(p)|).
extern "C" __global__ void dis_densify_f32(const float* __restrict__ i0, const float* __restrict__ i1,
                                           const float* __restrict__ sx, const float* __restrict__ sy, float* __restrict__ ux,
                                           float* __restrict__ uy, int w, int h, int cols, int rows, int stride) {
    REEL_GRID_STRIDE(p, (long long)w * h) {
        int i = (int)(p / w), j = (int)(p % w);
        int r0, r1, c0, c1;
        reel_covering(i, rows, stride, r0, r1);
        reel_covering(j, cols, stride, c0, c1);
        float sum_x = 0.0f, sum_y = 0.0f, sum_coef = 0.0f;
        for (int ps = r0; ps <= r1; ++ps)
            for (int qs = c0; qs <= c1; ++qs) {
                float u = sx[ps * cols + qs], v = sy[ps * cols + qs];
                float jm = fminf(fmaxf((float)j + u, 0.0f), (float)w - 1.0f - 0.001f);
                float im = fminf(fmaxf((float)i + v, 0.0f), (float)h - 1.0f - 0.001f);
                int jl = (int)jm, ju = jl + 1, il = (int)im, iu = il + 1;
                float diff = __fmul_rn(__fmul_rn(jm - (float)jl, im - (float)il), i1[iu * w + ju]) +
                             __fmul_rn(__fmul_rn((float)ju - jm, im - (float)il), i1[iu * w + jl]) +
                             __fmul_rn(__fmul_rn(jm - (float)jl, (float)iu - im), i1[il * w + ju]) +
                             __fmul_rn(__fmul_rn((float)ju - jm, (float)iu - im), i1[il * w + jl]) - i0[i * w + j];
                float coef = 1.0f / fmaxf(1.0f, fabsf(diff));
                sum_x += __fmul_rn(coef, u);
                sum_y += __fmul_rn(coef, v);
                sum_coef += coef;
            }
        ux[p] = sum_x / sum_coef;
        uy[p] = sum_y / sum_coef;
    }
}

// Variational refinement, step 1: I1 warped by the flow, averaged with I0, and the temporal difference.
extern "C" __global__ void dis_vr_prepare_f32(const float* __restrict__ i0, const float* __restrict__ i1,
                                              const float* __restrict__ u, const float* __restrict__ v, float* __restrict__ avg,
                                              float* __restrict__ iz, int w, int h) {
    REEL_GRID_STRIDE(p, (long long)w * h) {
        int i = (int)(p / w), j = (int)(p % w);
        float warped = reel_bilinear(i1, w, h, (float)j + u[p], (float)i + v[p]);
        avg[p] = __fmul_rn(0.5f, i0[p]) + __fmul_rn(0.5f, warped);
        iz[p] = warped - i0[p];
    }
}

// Central differences x(j+1) − x(j−1) into dx (when not null) and x(i+1) − x(i−1) into dy, edge repeated.
extern "C" __global__ void dis_vr_derive_f32(const float* __restrict__ x, float* __restrict__ dx, float* __restrict__ dy,
                                             int w, int h) {
    REEL_GRID_STRIDE(p, (long long)w * h) {
        int i = (int)(p / w), j = (int)(p % w);
        if (dx) dx[p] = x[i * w + min(j + 1, w - 1)] - x[i * w + max(j - 1, 0)];
        dy[p] = x[min(i + 1, h - 1) * w + j] - x[max(i - 1, 0) * w + j];
    }
}

// Smoothness weights α/2 / √(|∇u|² + |∇v|² + ε²) of the current flow (forward differences, 0 past the
// edge), into the padded plane weight ((h + 2) × (w + 2), border left at 0).
extern "C" __global__ void dis_vr_weights_f32(const float* __restrict__ tu, const float* __restrict__ tv,
                                              float* __restrict__ weight, int w, int h) {
    REEL_GRID_STRIDE(p, (long long)w * h) {
        int i = (int)(p / w), j = (int)(p % w);
        long long right = j < w - 1 ? p + 1 : p, below = i < h - 1 ? p + w : p;
        float ux = tu[right] - tu[p], vx = tv[right] - tv[p], uy = tu[below] - tu[p], vy = tv[below] - tv[p];
        float s = __fmul_rn(ux, ux) + __fmul_rn(vx, vx) + __fmul_rn(uy, uy) + __fmul_rn(vy, vy) + 0.001f * 0.001f;
        weight[(i + 1) * (w + 2) + j + 1] = 10.0f / sqrtf(s);
    }
}

// The per-pixel 2×2 system for the increment: the robust data terms (brightness, gradient
// constancy) linearized around the current increment, plus the smoothness edges that exist.
// d holds the eight derivative planes Ix, Iy, Iz, Ixx, Ixy, Iyy, Ixz, Iyz one after another;
// a the five system planes A11, A12, A22, B1, B2.
extern "C" __global__ void dis_vr_assemble_f32(const float* __restrict__ d, const float* __restrict__ du_pad,
                                               const float* __restrict__ dv_pad, const float* __restrict__ weight,
                                               const float* __restrict__ u, const float* __restrict__ v, float* __restrict__ a,
                                               int w, int h) {
    long long n = (long long)w * h;
    const float zeta2 = 0.1f * 0.1f, eps2 = 0.001f * 0.001f, delta2 = 2.5f, gamma2 = 5.0f;
    REEL_GRID_STRIDE(p, n) {
        int i = (int)(p / w), j = (int)(p % w);
        int q = (i + 1) * (w + 2) + j + 1;
        float du = du_pad[q], dv = dv_pad[q];
        float ix = d[p], iy = d[n + p], iz = d[2 * n + p];
        float norm = __fmul_rn(ix, ix) + __fmul_rn(iy, iy) + zeta2;
        float ik1z = iz + __fmul_rn(ix, du) + __fmul_rn(iy, dv);
        float weight_d = delta2 / sqrtf(__fmul_rn(ik1z, ik1z) / norm + eps2) / norm;
        float a11 = __fmul_rn(weight_d, __fmul_rn(ix, ix)) + zeta2, a12 = __fmul_rn(weight_d, __fmul_rn(ix, iy));
        float a22 = __fmul_rn(weight_d, __fmul_rn(iy, iy)) + zeta2;
        float b1 = __fmul_rn(-weight_d, __fmul_rn(iz, ix)), b2 = __fmul_rn(-weight_d, __fmul_rn(iz, iy));

        float ixx = d[3 * n + p], ixy = d[4 * n + p], iyy = d[5 * n + p], ixz = d[6 * n + p], iyz = d[7 * n + p];
        float norm1 = __fmul_rn(ixx, ixx) + __fmul_rn(ixy, ixy) + zeta2, norm2 = __fmul_rn(iyy, iyy) + __fmul_rn(ixy, ixy) + zeta2;
        float zx = ixz + __fmul_rn(ixx, du) + __fmul_rn(ixy, dv), zy = iyz + __fmul_rn(ixy, du) + __fmul_rn(iyy, dv);
        float weight_g = gamma2 / sqrtf(__fmul_rn(zx, zx) / norm1 + __fmul_rn(zy, zy) / norm2 + eps2);
        a11 += __fmul_rn(weight_g, __fmul_rn(ixx, ixx) / norm1 + __fmul_rn(ixy, ixy) / norm2);
        a12 += __fmul_rn(weight_g, __fmul_rn(ixx, ixy) / norm1 + __fmul_rn(ixy, iyy) / norm2);
        a22 += __fmul_rn(weight_g, __fmul_rn(ixy, ixy) / norm1 + __fmul_rn(iyy, iyy) / norm2);
        b1 += __fmul_rn(-weight_g, __fmul_rn(ixx, ixz) / norm1 + __fmul_rn(ixy, iyz) / norm2);
        b2 += __fmul_rn(-weight_g, __fmul_rn(ixy, ixz) / norm1 + __fmul_rn(iyy, iyz) / norm2);

        float wl = weight[q - 1], wp = weight[q], wu = weight[q - (w + 2)];
        float wr = j < w - 1 ? wp : 0.0f, wd = i < h - 1 ? wp : 0.0f;
        long long left = j > 0 ? p - 1 : p, right = j < w - 1 ? p + 1 : p, up = i > 0 ? p - w : p, down = i < h - 1 ? p + w : p;
        a[p] = a11 + wl + wr + wu + wd;
        a[n + p] = a12;
        a[2 * n + p] = a22 + wl + wr + wu + wd;
        a[3 * n + p] = b1 - __fmul_rn(wl, u[p] - u[left]) + __fmul_rn(wr, u[right] - u[p]) - __fmul_rn(wu, u[p] - u[up]) +
                       __fmul_rn(wd, u[down] - u[p]);
        a[4 * n + p] = b2 - __fmul_rn(wl, v[p] - v[left]) + __fmul_rn(wr, v[right] - v[p]) - __fmul_rn(wu, v[p] - v[up]) +
                       __fmul_rn(wd, v[down] - v[p]);
    }
}

// One red (parity 0) or black (parity 1) half-sweep of SOR (ω = 1.6) over the pixels with
// (i + j) % 2 == parity: du first, then dv with the new du. Increments and weights padded.
extern "C" __global__ void dis_vr_sor_f32(const float* __restrict__ a, const float* __restrict__ weight,
                                          float* __restrict__ du_pad, float* __restrict__ dv_pad, int w, int h, int parity) {
    long long n = (long long)w * h;
    int stride = w + 2;
    REEL_GRID_STRIDE(p, n) {
        int i = (int)(p / w), j = (int)(p % w);
        if (((i + j) & 1) != parity) continue;
        int q = (i + 1) * stride + j + 1;
        float wl = weight[q - 1], wp = weight[q], wu = weight[q - stride];
        float su = __fmul_rn(wl, du_pad[q - 1]) + __fmul_rn(wp, du_pad[q + 1]) + __fmul_rn(wu, du_pad[q - stride]) +
                   __fmul_rn(wp, du_pad[q + stride]);
        float sv = __fmul_rn(wl, dv_pad[q - 1]) + __fmul_rn(wp, dv_pad[q + 1]) + __fmul_rn(wu, dv_pad[q - stride]) +
                   __fmul_rn(wp, dv_pad[q + stride]);
        float du0 = du_pad[q], dv0 = dv_pad[q];
        float du = du0 + __fmul_rn(1.6f, (su + a[3 * n + p] - __fmul_rn(dv0, a[n + p])) / a[p] - du0);
        du_pad[q] = du;
        dv_pad[q] = dv0 + __fmul_rn(1.6f, (sv + a[4 * n + p] - __fmul_rn(du, a[n + p])) / a[2 * n + p] - dv0);
    }
}

// t = x + the padded increment: the refined flow after a fixed-point iteration (in place when t is x).
extern "C" __global__ void dis_vr_update_f32(const float* x, const float* __restrict__ dx_pad, float* t, int w, int h) {
    REEL_GRID_STRIDE(p, (long long)w * h) {
        int i = (int)(p / w), j = (int)(p % w);
        t[p] = x[p] + dx_pad[(i + 1) * (w + 2) + j + 1];
    }
}

// A flow plane resized bilinearly (half-pixel centres, source index in double as
// ReferenceBackend.SourceIndex) and multiplied by factor.
extern "C" __global__ void dis_upscale_f32(const float* __restrict__ x, float* __restrict__ y, int sw, int sh, int dw,
                                           int dh, float factor) {
    REEL_GRID_STRIDE(p, (long long)dw * dh) {
        int i = (int)(p / dw), j = (int)(p % dw);
        double sy = fmax(__dmul_rn(i + 0.5, (double)sh) / dh - 0.5, 0.0), sxs = fmax(__dmul_rn(j + 0.5, (double)sw) / dw - 0.5, 0.0);
        int y0 = min((int)sy, sh - 1), y1 = min(y0 + 1, sh - 1), x0 = min((int)sxs, sw - 1), x1 = min(x0 + 1, sw - 1);
        double fy = sy - y0, fx = sxs - x0;
        double top = __dmul_rn((double)x[y0 * sw + x0], 1 - fx) + __dmul_rn((double)x[y0 * sw + x1], fx);
        double bottom = __dmul_rn((double)x[y1 * sw + x0], 1 - fx) + __dmul_rn((double)x[y1 * sw + x1], fx);
        y[p] = __fmul_rn((float)(__dmul_rn(top, 1 - fy) + __dmul_rn(bottom, fy)), factor);
    }
}
