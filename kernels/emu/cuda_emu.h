// CPU emulation of the CUDA execution model, so the kernels in kernels/*.cu compile with g++
// and run in tests on machines without a GPU. It covers kernels whose threads are independent
// (no __shared__ memory, no __syncthreads): each (block, thread) runs to completion in turn.
#pragma once
#include <cmath>
#include <cstdint>

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace reel_emu {
inline thread_local dim3 block_idx, thread_idx, block_dim, grid_dim;

// Runs kernel(args...) for every thread of every block, with the built-in indices set.
template <class Kernel, class... Args>
void launch(dim3 grid, dim3 block, Kernel kernel, Args... args) {
    grid_dim = grid;
    block_dim = block;
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx)
                for (unsigned tz = 0; tz < block.z; ++tz)
                    for (unsigned ty = 0; ty < block.y; ++ty)
                        for (unsigned tx = 0; tx < block.x; ++tx) {
                            block_idx = dim3(bx, by, bz);
                            thread_idx = dim3(tx, ty, tz);
                            kernel(args...);
                        }
}
}  // namespace reel_emu

#define blockIdx reel_emu::block_idx
#define threadIdx reel_emu::thread_idx
#define blockDim reel_emu::block_dim
#define gridDim reel_emu::grid_dim
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
