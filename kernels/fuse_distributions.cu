// The colorizer's distributions fused along time (FuseDistributionsOp). It works in float with
// expf/logf and agrees with the CPU reference to rounding.
#include "reel_cuda.cuh"

// Per pixel: y_q = log(max((1 − s)·p_q + s·F_q, 1e-12)), s = keep·c, p = softmax(z / T), F = softmax(previous)
// over the bins; planes (bins, plane) per frame, grid.y the frame.
extern "C" __global__ void fuse_distributions_f32(const float* __restrict__ z, const float* __restrict__ previous,
                                                  const float* __restrict__ c, float* __restrict__ y, int bins, int plane,
                                                  float keep, float temperature) {
    long long frame = blockIdx.y, base = frame * bins * (long long)plane;
    REEL_GRID_STRIDE(k, plane) {
        float mz = -INFINITY, mf = -INFINITY;
        for (int q = 0; q < bins; ++q) {
            mz = fmaxf(mz, z[base + q * (long long)plane + k]);
            mf = fmaxf(mf, previous[base + q * (long long)plane + k]);
        }
        float sz = 0.0f, sf = 0.0f;
        for (int q = 0; q < bins; ++q) {
            sz += expf((z[base + q * (long long)plane + k] - mz) / temperature);
            sf += expf(previous[base + q * (long long)plane + k] - mf);
        }
        float share = keep * c[frame * plane + k], rest = 1.0f - share;
        for (int q = 0; q < bins; ++q) {
            long long at = base + q * (long long)plane + k;
            float pz = expf((z[at] - mz) / temperature) / sz, pf = expf(previous[at] - mf) / sf;
            y[at] = logf(fmaxf(rest * pz + share * pf, 1e-12f));
        }
    }
}
