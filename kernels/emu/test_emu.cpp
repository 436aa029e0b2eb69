// Checks the emulator itself: barriers really order shared-memory work across threads, a
// barrier skipped by returned threads is reported, a barrier in a launch without fibers is
// refused, plain launches cover every thread, bad geometry is refused, and the binary16
// conversions agree with the compiler's _Float16 (round to nearest even) everywhere.
#include <cstdio>
#include <random>

#include "cuda_emu.h"

__global__ void block_sum(const int* in, int* out) {
    __shared__ int buf[128];
    buf[threadIdx.x] = in[blockIdx.x * blockDim.x + threadIdx.x];
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) buf[threadIdx.x] += buf[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = buf[0];
}

__global__ void reversed(const int* in, int* out) {
    __shared__ int buf[64];
    buf[threadIdx.x] = in[threadIdx.x];
    __syncthreads();
    out[threadIdx.x] = buf[blockDim.x - 1 - threadIdx.x];
}

__global__ void thread_ids(int* out) {
    out[(blockIdx.y * gridDim.x + blockIdx.x) * blockDim.x * blockDim.y + threadIdx.y * blockDim.x + threadIdx.x] += 1 + (int)threadIdx.x;
}

__global__ void divergent_barrier(int* out) {
    if (threadIdx.x % 2) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

int main() {
    int failures = 0;
    std::vector<int> in(4 * 128), out(4, 0);
    for (size_t i = 0; i < in.size(); ++i) in[i] = (int)(i * 7 % 31);
    if (!reel_emu::launch(dim3(4), dim3(128), block_sum, in.data(), out.data())) ++failures;
    for (int b = 0; b < 4; ++b) {
        int want = 0;
        for (int i = 0; i < 128; ++i) want += in[b * 128 + i];
        if (out[b] != want) { std::printf("block_sum[%d] = %d, want %d\n", b, out[b], want); ++failures; }
    }
    std::vector<int> rin(64), rout(64, -1);
    for (int i = 0; i < 64; ++i) rin[i] = i;
    reel_emu::launch(dim3(1), dim3(64), reversed, rin.data(), rout.data());
    for (int i = 0; i < 64; ++i)
        if (rout[i] != 63 - i) { std::printf("reversed[%d] = %d\n", i, rout[i]); ++failures; break; }
    std::vector<int> d(32, 0);
    if (reel_emu::launch(dim3(1), dim3(32), divergent_barrier, d.data()) || reel_emu::launch_error.empty()) {
        std::printf("a barrier reached by half the block was not reported\n");
        ++failures;
    }
    if (reel_emu::launch_plain(dim3(1), dim3(64), reversed, rin.data(), rout.data()) || reel_emu::launch_error.empty()) {
        std::printf("a barrier in a launch without fibers was not reported\n");
        ++failures;
    }
    std::vector<int> ids(3 * 2 * 8 * 4, 0);
    if (!reel_emu::launch_plain(dim3(3, 2), dim3(8, 4), thread_ids, ids.data())) ++failures;
    for (size_t i = 0; i < ids.size(); ++i)
        if (ids[i] != 1 + (int)(i % 8)) { std::printf("plain launch: thread %zu wrote %d\n", i, ids[i]); ++failures; break; }
    if (reel_emu::launch(dim3(1), dim3(2048), divergent_barrier, d.data())) {
        std::printf("a 2048-thread block was accepted\n");
        ++failures;
    }
    for (unsigned h = 0; h < 65536; ++h) {
        unsigned short bits = (unsigned short)h;
        _Float16 ref;
        std::memcpy(&ref, &bits, 2);
        float want = (float)ref, got = reel_emu::f16_to_f32(bits);
        if (std::memcmp(&want, &got, 4) != 0 && !(std::isnan(want) && std::isnan(got))) {
            std::printf("f16_to_f32(%04x) = %g, want %g\n", h, got, want);
            ++failures;
            break;
        }
    }
    std::mt19937 rng(7);
    for (int i = 0; i < 2000000; ++i) {
        uint32_t bits = rng();
        if (i < 1000000) bits = (bits & 0x807fffffu) | ((100u + bits % 45u) << 23);  // half's range, subnormals included
        float f;
        std::memcpy(&f, &bits, 4);
        if (std::isnan(f)) continue;
        _Float16 ref = (_Float16)f;
        unsigned short want;
        std::memcpy(&want, &ref, 2);
        if (reel_emu::f32_to_f16(f) != want) {
            std::printf("f32_to_f16(%.9g) = %04x, want %04x\n", f, reel_emu::f32_to_f16(f), want);
            ++failures;
            break;
        }
    }
    std::printf("emulator: %s\n", failures ? "FAILED" : "barriers, shared memory, limits and binary16 behave");
    return failures ? 1 : 0;
}
