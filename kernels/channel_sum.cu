// Per-channel reductions over (N, C, plane): a convolution bias's gradient and a plane's moments.
// Sums run in double in a fixed order (a strided share per thread, then a tree in shared memory,
// and the gradient's partials in a fixed order too), so they are deterministic. Blocks of 256 threads.
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

// The pixels [begin, end) of plane p that a block of the partial kernels below takes: a slice of `len`
// pixels of one frame's plane of channel blockIdx.y, blockIdx.x = frame · slices + slice.
struct ReelSlice {
    const float* p;
    int begin, end;
};

__device__ __forceinline__ ReelSlice reel_slice(const float* x, int channels, int plane, int slices, int len) {
    int n = blockIdx.x / slices, begin = (blockIdx.x % slices) * len;
    return ReelSlice{x + ((long long)n * channels + blockIdx.y) * plane, begin, min(plane, begin + len)};
}

// The slice's sum in double; every thread gets it.
__device__ __forceinline__ double reel_slice_sum(double* part, ReelSlice s) {
    double acc = 0.0;
    for (int i = s.begin + threadIdx.x; i < s.end; i += blockDim.x) acc += s.p[i];
    return reel_block_sum(part, acc);
}

// A bias's gradient db[c] = Σ over frames and pixels of dy (N, C, plane), in two launches so that a
// channel's sum is spread over the GPU rather than one block (the U-Net's first level has 32 channels
// of 415k pixels at 480×864): each block sums its slice into partials[c · gridDim.x + blockIdx.x].
extern "C" __global__ void __launch_bounds__(256) channel_sum_partials_f32(const float* __restrict__ dy, double* __restrict__ partials,
                                                                           int channels, int plane, int slices, int len) {
    __shared__ double part[256];
    double total = reel_slice_sum(part, reel_slice(dy, channels, plane, slices, len));
    if (threadIdx.x == 0) partials[(long long)blockIdx.y * gridDim.x + blockIdx.x] = total;
}

// db[c] = the sum of channel c's `count` partials (block c), in double.
extern "C" __global__ void __launch_bounds__(256) channel_sum_finish_f32(const double* __restrict__ partials, float* __restrict__ db, int count) {
    __shared__ double part[256];
    const double* p = partials + (long long)blockIdx.x * count;
    double acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) acc += p[i];
    double total = reel_block_sum(part, acc);
    if (threadIdx.x == 0) db[blockIdx.x] = (float)total;
}

// ChannelMomentsOp, in two launches as the bias gradient: each block writes its slice's pixel count, mean
// and sum of squared deviations from that mean (two passes over the slice, the second from cache) to
// partials[3 · (c · gridDim.x + blockIdx.x)].
extern "C" __global__ void __launch_bounds__(256) channel_moments_partials_f32(const float* __restrict__ x, double* __restrict__ partials,
                                                                               int channels, int plane, int slices, int len) {
    __shared__ double part[256];
    ReelSlice s = reel_slice(x, channels, plane, slices, len);
    double mean = reel_slice_sum(part, s) / (s.end - s.begin);
    double acc = 0.0;
    for (int i = s.begin + threadIdx.x; i < s.end; i += blockDim.x) {
        double d = s.p[i] - mean;
        acc += d * d;
    }
    double squares = reel_block_sum(part, acc);
    if (threadIdx.x == 0) {
        double* out = partials + 3 * ((long long)blockIdx.y * gridDim.x + blockIdx.x);
        out[0] = s.end - s.begin;
        out[1] = mean;
        out[2] = squares;
    }
}

// y[c] = channel c's mean, y[channels + c] = its mean squared deviation from it, from its `count` slices:
// the mean weighted by the slices' pixels, then the slices' squared deviations plus, for each slice,
// its pixels times its mean's squared distance from the channel's (Chan, Golub and LeVeque), so no
// slice's sum is taken about another mean. Block c, sums in double in a fixed order.
extern "C" __global__ void __launch_bounds__(256) channel_moments_finish_f32(const double* __restrict__ partials, float* __restrict__ y,
                                                                             int channels, int count) {
    __shared__ double part[256];
    const double* p = partials + 3LL * blockIdx.x * count;
    double pixels = 0.0, acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        pixels += p[3 * i];
        acc += p[3 * i] * p[3 * i + 1];
    }
    double total = reel_block_sum(part, pixels);
    double mean = reel_block_sum(part, acc) / total;
    acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        double d = p[3 * i + 1] - mean;
        acc += p[3 * i + 2] + p[3 * i] * d * d;
    }
    double squares = reel_block_sum(part, acc);
    if (threadIdx.x == 0) {
        y[blockIdx.x] = (float)mean;
        y[channels + blockIdx.x] = (float)(squares / total);
    }
}
