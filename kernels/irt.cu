// The Deep Video Prior's training loss and its gradient in one pass per pixel
// (engine/Training/PriorLoss.cs, specs/models.md §3):
//  kind 0 (L1):       mean |O − P|                                      on a 3-output net
//  kind 1 (IRT init): mean |O_main − P| + 0.9 · mean |O_minor − P|
//  kind 2 (IRT):      C = [max_c |O_main − P|/(I + 0.1) < max_c |O_minor − P|/(I + 0.1)],
//                     mean(|O_main − P|·C) + mean(|O_minor − P|·(1 − C))
// Means run over the valid (unpadded) top-left valid_h × valid_w region, 3 channels; the
// gradient is sign(d)·unit (unit = 1 / (3·valid_h·valid_w)) and 0 in the padding. Each block
// reduces its |d| sums in shared memory and writes (main, minor) to partials[2·block]; the
// host adds the few partials in double (or irt_loss_reduce_f32 does, on the device);
// irt_loss_partials_f32 writes the partials alone. blockDim.x must be a power of two ≤ 256.
#include "reel_cuda.cuh"

__device__ __forceinline__ float reel_sign(float d) { return (float)((d > 0.0f) - (d < 0.0f)); }

// One pass per pixel; with Grad false only the |d| sums (the loss alone).
template <bool Grad>
__device__ __forceinline__ void reel_irt(const float* __restrict__ o, const float* __restrict__ input,
                                         const float* __restrict__ p, float* __restrict__ grad,
                                         float* __restrict__ partials, int width, int plane, int valid_h,
                                         int valid_w, int kind, float unit) {
    __shared__ float main_sum[256];
    __shared__ float minor_sum[256];
    float main_acc = 0.0f, minor_acc = 0.0f;
    int heads = kind == 0 ? 1 : 2;
    REEL_GRID_STRIDE(i, plane) {
        int y = (int)(i / width), x = (int)(i % width);
        if (y >= valid_h || x >= valid_w) {
            if (Grad)
                for (int c = 0; c < 3 * heads; ++c) grad[(long long)c * plane + i] = 0.0f;
            continue;
        }
        bool main_wins = true;
        if (kind == 2) {
            float d_main = 0.0f, d_minor = 0.0f;
            for (int c = 0; c < 3; ++c) {
                long long k = (long long)c * plane + i;
                float scale = input[k] + 0.1f;
                d_main = fmaxf(d_main, fabsf(o[k] - p[k]) / scale);
                d_minor = fmaxf(d_minor, fabsf(o[k + 3LL * plane] - p[k]) / scale);
            }
            main_wins = d_main < d_minor;
        }
        for (int c = 0; c < 3; ++c) {
            long long k = (long long)c * plane + i;
            float target = p[k], dm = o[k] - target;
            bool train_main = kind != 2 || main_wins;
            if (Grad) grad[k] = train_main ? reel_sign(dm) * unit : 0.0f;
            if (train_main) main_acc += fabsf(dm);
            if (heads == 1) continue;
            float dn = o[k + 3LL * plane] - target;
            float g = 0.0f;
            if (kind == 1) {
                minor_acc += fabsf(dn);
                g = reel_sign(dn) * unit * 0.9f;
            } else if (!main_wins) {
                minor_acc += fabsf(dn);
                g = reel_sign(dn) * unit;
            }
            if (Grad) grad[k + 3LL * plane] = g;
        }
    }
    main_sum[threadIdx.x] = main_acc;
    minor_sum[threadIdx.x] = minor_acc;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) {
            main_sum[threadIdx.x] += main_sum[threadIdx.x + half];
            minor_sum[threadIdx.x] += minor_sum[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        partials[2 * blockIdx.x] = main_sum[0];
        partials[2 * blockIdx.x + 1] = minor_sum[0];
    }
}

extern "C" __global__ void __launch_bounds__(256) irt_loss_grad_f32(
    const float* __restrict__ o, const float* __restrict__ input, const float* __restrict__ p,
    float* __restrict__ grad, float* __restrict__ partials, int width, int plane, int valid_h, int valid_w,
    int kind, float unit) {
    reel_irt<true>(o, input, p, grad, partials, width, plane, valid_h, valid_w, kind, unit);
}

// The partial sums alone, for the loss value (PriorLossOp) without writing a gradient.
extern "C" __global__ void __launch_bounds__(256) irt_loss_partials_f32(
    const float* __restrict__ o, const float* __restrict__ input, const float* __restrict__ p,
    float* __restrict__ partials, int width, int plane, int valid_h, int valid_w, int kind) {
    reel_irt<false>(o, input, p, nullptr, partials, width, plane, valid_h, valid_w, kind, 0.0f);
}

// The loss from irt_loss_grad_f32's partials, in double as PriorLoss computes it:
// (Σ main + w · Σ minor) / (3 · valid_h · valid_w), w = 0.9 for IRT init, 1 otherwise. One block of 256.
extern "C" __global__ void __launch_bounds__(256) irt_loss_reduce_f32(const float* __restrict__ partials, int blocks,
                                                                      int kind, int valid_h, int valid_w,
                                                                      float* __restrict__ loss) {
    __shared__ double main_part[256];
    __shared__ double minor_part[256];
    double main_acc = 0.0, minor_acc = 0.0;
    for (int b = threadIdx.x; b < blocks; b += blockDim.x) {
        main_acc += partials[2 * b];
        minor_acc += partials[2 * b + 1];
    }
    main_part[threadIdx.x] = main_acc;
    minor_part[threadIdx.x] = minor_acc;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) {
            main_part[threadIdx.x] += main_part[threadIdx.x + half];
            minor_part[threadIdx.x] += minor_part[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        double count = 3.0 * valid_h * valid_w;
        double minor_weight = kind == 1 ? (double)0.9f : 1.0;
        loss[0] = (float)((main_part[0] + minor_weight * minor_part[0]) / count);
    }
}
