// Per-channel reductions over (N, C, plane): a convolution bias's gradient and a plane's moments.
// Sums run in double in a fixed order (a strided share per thread, then a tree in shared memory),
// so they are deterministic. One block per channel, 256 threads.
#include "reel_cuda.cuh"

// The block's values summed by the fixed tree; every thread gets the total.
__device__ __forceinline__ double reel_block_sum(double* part, double value) {
    part[threadIdx.x] = value;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
        __syncthreads();
    }
    double total = part[0];
    __syncthreads(); // part is reused by the caller's next sum
    return total;
}

// db[c] = Σ over frames and pixels of dy (N, C, plane).
extern "C" __global__ void __launch_bounds__(256) channel_sum_f32(const float* __restrict__ dy, float* __restrict__ db,
                                                                  int channels, int plane, int frames) {
    __shared__ double part[256];
    int c = blockIdx.x;
    double acc = 0.0;
    for (int n = 0; n < frames; ++n) {
        const float* p = dy + ((long long)n * channels + c) * plane;
        for (int i = threadIdx.x; i < plane; i += blockDim.x) acc += p[i];
    }
    double total = reel_block_sum(part, acc);
    if (threadIdx.x == 0) db[c] = (float)total;
}

// ChannelMomentsOp: y[c] = the mean of channel c over frames and pixels, y[channels + c] = the mean
// squared deviation from it, summed in a second pass about that mean.
extern "C" __global__ void __launch_bounds__(256) channel_moments_f32(const float* __restrict__ x, float* __restrict__ y,
                                                                      int channels, int plane, int frames) {
    __shared__ double part[256];
    int c = blockIdx.x;
    double count = (double)frames * plane, acc = 0.0;
    for (int n = 0; n < frames; ++n) {
        const float* p = x + ((long long)n * channels + c) * plane;
        for (int i = threadIdx.x; i < plane; i += blockDim.x) acc += p[i];
    }
    double mean = reel_block_sum(part, acc) / count;
    acc = 0.0;
    for (int n = 0; n < frames; ++n) {
        const float* p = x + ((long long)n * channels + c) * plane;
        for (int i = threadIdx.x; i < plane; i += blockDim.x) {
            double d = p[i] - mean;
            acc += d * d;
        }
    }
    double squares = reel_block_sum(part, acc);
    if (threadIdx.x == 0) {
        y[c] = (float)mean;
        y[channels + c] = (float)(squares / count);
    }
}
