// A convolution bias's gradient: each channel's plane summed over the batch. The sum runs in
// double in a fixed order (a strided share per thread, then a tree in shared memory), so it is
// deterministic.
#include "reel_cuda.cuh"

// db[c] = Σ over frames and pixels of dy (N, C, plane); one block per channel, 256 threads.
extern "C" __global__ void __launch_bounds__(256) channel_sum_f32(const float* __restrict__ dy, float* __restrict__ db,
                                                                  int channels, int plane, int frames) {
    __shared__ double part[256];
    int c = blockIdx.x;
    double acc = 0.0;
    for (int n = 0; n < frames; ++n) {
        const float* p = dy + ((long long)n * channels + c) * plane;
        for (int i = threadIdx.x; i < plane; i += blockDim.x) acc += p[i];
    }
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) db[c] = (float)part[0];
}
