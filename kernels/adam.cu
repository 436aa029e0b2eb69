// One Adam step, PyTorch's exact update as engine/Training/Adam.cs:
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − step · m / (√v / bc2_sqrt + ε)
// with step = lr / (1 − β1ᵗ) and bc2_sqrt = √(1 − β2ᵗ) computed in double on the host and read from
// device memory (corrections[0], [1]), so a captured training step replays with each new t.
// The _rn intrinsics forbid multiply-add contraction so the result is bit-identical to the
// CPU's separately rounded float operations.
#include "reel_cuda.cuh"

extern "C" __global__ void adam_step_f32(float* __restrict__ param, const float* __restrict__ grad,
                                         float* __restrict__ m, float* __restrict__ v, long long n,
                                         const float* __restrict__ corrections, float beta1, float beta2, float eps) {
    float step = corrections[0], bc2_sqrt = corrections[1];
    float one_minus_b1 = 1.0f - beta1, one_minus_b2 = 1.0f - beta2;
    REEL_GRID_STRIDE(i, n) {
        float g = grad[i];
        float mi = __fadd_rn(__fmul_rn(m[i], beta1), __fmul_rn(g, one_minus_b1));
        float vi = __fadd_rn(__fmul_rn(v[i], beta2), __fmul_rn(__fmul_rn(g, g), one_minus_b2));
        m[i] = mi;
        v[i] = vi;
        float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2_sqrt), eps);
        param[i] = __fadd_rn(param[i], -__fmul_rn(step, __fdiv_rn(mi, denom)));
    }
}
