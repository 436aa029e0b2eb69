// The ECCV16 colorizer's head fused into one pass over the 313 logits of each pixel:
// ab = Σ_q softmax(z/T)_q · centre_q with an online (running max) softmax, so the logits are
// read exactly once and no probability tensor is written. One thread per pixel; adjacent
// threads read adjacent pixels of the same bin plane (coalesced). The bin centres (2 × Q)
// are staged in shared memory once per block. grid.y is the frame index.
#include "reel_cuda.cuh"

#define REEL_MAX_BINS 512

template <class Load>
__device__ __forceinline__ void reel_annealed_mean(Load load, const float* __restrict__ centres,
                                                   float* __restrict__ ab, int bins, int plane, float temperature) {
    __shared__ float centre[2 * REEL_MAX_BINS];
    for (int q = threadIdx.x; q < 2 * bins; q += blockDim.x) centre[q] = centres[q];
    __syncthreads();
    long long frame = blockIdx.y;
    float* out = ab + frame * 2 * plane;
    REEL_GRID_STRIDE(i, plane) {
        long long at = frame * bins * (long long)plane + i;
        // The exponent is (z − max) / T: the difference of raw logits first, then one IEEE
        // division, as the reference does. Multiplying by a rounded 1/T instead scaled every
        // exponent by the same relative error, which tilted the weights across bins (≈1e-4 in
        // ab), and __expf's error grows with |x| likewise; the kernel is memory-bound, so the
        // accurate forms cost nothing that matters.
        float m = -INFINITY, s = 0.0f, a = 0.0f, b = 0.0f;
        for (int q = 0; q < bins; ++q) {
            float z = load(at + (long long)q * plane);
            if (z > m) {
                float r = expf((m - z) / temperature);
                s = s * r + 1.0f;
                a = a * r + centre[q];
                b = b * r + centre[bins + q];
                m = z;
            } else {
                float e = expf((z - m) / temperature);
                s += e;
                a += e * centre[q];
                b += e * centre[bins + q];
            }
        }
        out[i] = a / s;
        out[plane + i] = b / s;
    }
}

extern "C" __global__ void __launch_bounds__(256) annealed_mean_f32(const float* __restrict__ logits,
                                                                    const float* __restrict__ centres,
                                                                    float* __restrict__ ab, int bins, int plane,
                                                                    float temperature) {
    reel_annealed_mean([=](long long k) { return logits[k]; }, centres, ab, bins, plane, temperature);
}

extern "C" __global__ void __launch_bounds__(256) annealed_mean_f16(const unsigned short* __restrict__ logits,
                                                                    const float* __restrict__ centres,
                                                                    float* __restrict__ ab, int bins, int plane,
                                                                    float temperature) {
    reel_annealed_mean([=](long long k) { return reel_h2f(logits[k]); }, centres, ab, bins, plane, temperature);
}
