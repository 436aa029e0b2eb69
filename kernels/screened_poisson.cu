// Gradient-domain temporal consistency (ScreenedPoissonOp): the system's set-up, red-black SOR
// half-sweeps and the corrected frame. The kernels do Cpu.ScreenedPoisson's float operations in
// its order (products that meet an addition through __fmul_rn), so their output is the CPU
// reference's bit for bit.
#include "reel_cuda.cuh"

// Per pixel of one frame: the diagonal (existing neighbours + λ·c) and, per channel, the
// right-hand side λ·c·(keep·(T − P)); keep = 1 − blend·exp(−|P − T|² / 2σ²) in double (σ = robust;
// 0: keep = 1 − blend).
extern "C" __global__ void screened_poisson_setup_f32(const float* __restrict__ p, const float* __restrict__ t,
                                                      const float* __restrict__ c, float* __restrict__ diagonal,
                                                      float* __restrict__ rhs, int channels, int h, int w, float lambda,
                                                      float blend, float robust) {
    long long n = (long long)h * w;
    REEL_GRID_STRIDE(k, n) {
        int i = (int)(k / w), j = (int)(k % w);
        float keep = 1.0f - blend;
        if (robust != 0.0f) {
            double d2 = 0.0, sigma = robust;
            for (int ch = 0; ch < channels; ++ch) {
                double d = (double)p[ch * n + k] - t[ch * n + k];
                d2 += __dmul_rn(d, d);
            }
            keep = (float)(1.0 - __dmul_rn((double)blend, exp(-d2 / __dmul_rn(__dmul_rn(2.0, sigma), sigma))));
        }
        float pull = __fmul_rn(lambda, c[k]);
        float neighbours = (j > 0 ? 1.0f : 0.0f) + (j < w - 1 ? 1.0f : 0.0f) + (i > 0 ? 1.0f : 0.0f) + (i < h - 1 ? 1.0f : 0.0f);
        diagonal[k] = neighbours + pull;
        for (int ch = 0; ch < channels; ++ch) rhs[ch * n + k] = __fmul_rn(pull, __fmul_rn(keep, t[ch * n + k] - p[ch * n + k]));
    }
}

// One red (parity 0) or black (parity 1) SOR half-sweep (ω = 1.5) over every channel's padded
// correction d ((h + 2) × (w + 2) per channel, border 0); pixels with a zero diagonal keep 0.
extern "C" __global__ void screened_poisson_sor_f32(const float* __restrict__ diagonal, const float* __restrict__ rhs,
                                                    float* __restrict__ d, int channels, int h, int w, int parity) {
    long long n = (long long)h * w, padded = (long long)(h + 2) * (w + 2);
    int stride = w + 2;
    REEL_GRID_STRIDE(e, channels * n) {
        long long ch = e / n, k = e % n;
        int i = (int)(k / w), j = (int)(k % w);
        if (((i + j) & 1) != parity) continue;
        float dg = diagonal[k];
        if (!(dg > 0.0f)) continue;
        float* dc = d + ch * padded;
        long long q = (long long)(i + 1) * stride + j + 1;
        float sum = dc[q - 1] + dc[q + 1] + dc[q - stride] + dc[q + stride];
        dc[q] = dc[q] + __fmul_rn(1.5f, (sum + rhs[ch * n + k]) / dg - dc[q]);
    }
}

// o = p + the padded correction, every channel.
extern "C" __global__ void screened_poisson_finish_f32(const float* __restrict__ p, const float* __restrict__ d,
                                                       float* __restrict__ o, int channels, int h, int w) {
    long long n = (long long)h * w, padded = (long long)(h + 2) * (w + 2);
    REEL_GRID_STRIDE(e, channels * n) {
        long long ch = e / n, k = e % n;
        int i = (int)(k / w), j = (int)(k % w);
        o[e] = p[e] + d[ch * padded + (long long)(i + 1) * (w + 2) + j + 1];
    }
}
