// Holding a colour mode along the motion (ModeHoldOp): one thread per pixel; grid.y is the frame.
// As Cpu.ModeHold, bit for bit: every product and sum rounded on its own (no FMA contraction), and the
// colour table's sums are 64-bit integers, so the atomics' order does not change them.
#include "reel_cuda.cuh"

// Whether pixel i of p jumped from the state's colour.
__device__ __forceinline__ bool mode_jumped(const float* pf, const float* sf, long long i, int channels, int plane, float floor, float rel) {
    float pp = 0.0f, ss = 0.0f, dd = 0.0f;
    for (int c = 0; c < channels; ++c) {
        float a = pf[(long long)c * plane + i], b = sf[(long long)c * plane + i], d = __fsub_rn(a, b);
        pp = __fadd_rn(pp, __fmul_rn(a, a));
        ss = __fadd_rn(ss, __fmul_rn(b, b));
        dd = __fadd_rn(dd, __fmul_rn(d, d));
    }
    return !(dd <= fmaxf(floor, __fmul_rn(rel, fmaxf(pp, ss))));
}

// Pixel i's colour bin: per plane floor((v + range) * inverse) within [0, bins), plane c weighing bins^c.
__device__ __forceinline__ int mode_bin(const float* pf, long long i, int channels, int plane, int bins, float range, float inverse) {
    int key = 0, weight = 1;
    for (int c = 0; c < channels; ++c) {
        float f = floorf(__fmul_rn(__fadd_rn(pf[(long long)c * plane + i], range), inverse));
        int k = !(f >= 0.0f) ? 0 : f >= (float)bins ? bins - 1 : (int)f;
        key += k * weight;
        weight *= bins;
    }
    return key;
}

// The colour table of the tracked pixels: per bin (2 + C) counters, zeroed before: tracked, jumped, and
// the jumps S - P per plane in 1/256 units (rounded to even, within +-2^32 units; a NaN jump adds 0).
extern "C" __global__ void mode_table_i64(const float* __restrict__ p, const float* __restrict__ state, const float* __restrict__ confidence,
                                          unsigned long long* __restrict__ table, int channels, int plane, float min_jump, float relative,
                                          int bins, float range, float inverse, int bin_count) {
    long long frame = blockIdx.y;
    const float* pf = p + frame * channels * plane;
    const float* sf = state + frame * (channels + 1) * plane;
    unsigned long long* tf = table + frame * (long long)bin_count * (2 + channels);
    float floor = __fmul_rn(min_jump, min_jump), rel = __fmul_rn(relative, relative);
    REEL_GRID_STRIDE(i, plane) {
        if (confidence[frame * plane + i] < 0.5f) continue;
        unsigned long long* at = tf + (long long)mode_bin(pf, i, channels, plane, bins, range, inverse) * (2 + channels);
        atomicAdd(at, 1ull);
        if (!mode_jumped(pf, sf, i, channels, plane, floor, rel)) continue;
        atomicAdd(at + 1, 1ull);
        for (int c = 0; c < channels; ++c) {
            float q = rintf(__fmul_rn(__fsub_rn(sf[(long long)c * plane + i], pf[(long long)c * plane + i]), 256.0f));
            q = q != q ? 0.0f : fminf(fmaxf(q, -4294967296.0f), 4294967296.0f);
            atomicAdd(at + 2 + c, (unsigned long long)(long long)q);
        }
    }
}

// p (N, C, plane), state (N, C + 1, plane: the held planes, then the count), confidence (N, plane) and the frame's table → y like state.
extern "C" __global__ void mode_hold_f32(const float* __restrict__ p, const float* __restrict__ state, const float* __restrict__ confidence,
                                         const unsigned long long* __restrict__ table, float* __restrict__ y, int channels, int plane,
                                         float min_jump, float relative, int patience, int bins, float range, float inverse, int bin_count,
                                         int min_tracked) {
    long long frame = blockIdx.y;
    const float* pf = p + frame * channels * plane;
    const float* sf = state + frame * (channels + 1) * plane;
    const long long* tf = (const long long*)table + frame * (long long)bin_count * (2 + channels);
    float* yf = y + frame * (channels + 1) * plane;
    float floor = __fmul_rn(min_jump, min_jump), rel = __fmul_rn(relative, relative);
    REEL_GRID_STRIDE(i, plane) {
        if (confidence[frame * plane + i] < 0.5f) {
            const long long* at = tf + (long long)mode_bin(pf, i, channels, plane, bins, range, inverse) * (2 + channels);
            long long tracked = at[0], jumped = at[1];
            bool other = tracked >= min_tracked && 2 * jumped > tracked;
            for (int c = 0; c < channels; ++c) {
                float v = pf[(long long)c * plane + i];
                yf[(long long)c * plane + i] = other ? __fadd_rn(v, (float)((double)at[2 + c] / (256.0 * (double)jumped))) : v;
            }
            yf[(long long)channels * plane + i] = other ? 1.0f : 0.0f;
            continue;
        }
        float held = sf[(long long)channels * plane + i];
        bool take = !mode_jumped(pf, sf, i, channels, plane, floor, rel) || __fadd_rn(held, 1.0f) >= (float)patience;
        for (int c = 0; c < channels; ++c) yf[(long long)c * plane + i] = take ? pf[(long long)c * plane + i] : sf[(long long)c * plane + i];
        yf[(long long)channels * plane + i] = take ? 0.0f : __fadd_rn(held, 1.0f);
    }
}
