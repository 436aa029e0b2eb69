// Holding a colour mode along the motion (ModeHoldOp): one thread per pixel; grid.y is the frame.
// As Cpu.ModeHold, bit for bit: every product and sum rounded on its own (no FMA contraction).
#include "reel_cuda.cuh"

// p (N, C, plane), state (N, C + 1, plane: the held planes, then the count), confidence (N, plane) → y like state.
extern "C" __global__ void mode_hold_f32(const float* __restrict__ p, const float* __restrict__ state, const float* __restrict__ confidence,
                                         float* __restrict__ y, int channels, int plane, float min_jump, float relative, int patience) {
    long long frame = blockIdx.y;
    const float* pf = p + frame * channels * plane;
    const float* sf = state + frame * (channels + 1) * plane;
    float* yf = y + frame * (channels + 1) * plane;
    float floor = __fmul_rn(min_jump, min_jump), rel = __fmul_rn(relative, relative);
    REEL_GRID_STRIDE(i, plane) {
        float pp = 0.0f, ss = 0.0f, dd = 0.0f;
        for (int c = 0; c < channels; ++c) {
            float a = pf[(long long)c * plane + i], b = sf[(long long)c * plane + i], d = __fsub_rn(a, b);
            pp = __fadd_rn(pp, __fmul_rn(a, a));
            ss = __fadd_rn(ss, __fmul_rn(b, b));
            dd = __fadd_rn(dd, __fmul_rn(d, d));
        }
        bool agree = confidence[frame * plane + i] < 0.5f || dd <= fmaxf(floor, __fmul_rn(rel, fmaxf(pp, ss)));
        float held = sf[(long long)channels * plane + i];
        bool take = agree || __fadd_rn(held, 1.0f) >= (float)patience;
        for (int c = 0; c < channels; ++c) yf[(long long)c * plane + i] = take ? pf[(long long)c * plane + i] : sf[(long long)c * plane + i];
        yf[(long long)channels * plane + i] = take ? 0.0f : __fadd_rn(held, 1.0f);
    }
}
