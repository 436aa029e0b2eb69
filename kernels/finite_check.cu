// The finiteness check the models run after every layer: a flag per check, read by the host later.
#include "reel_cuda.cuh"

// flags[slot] = 1 when any of x[0 … n) is NaN or ±∞ (left as it is otherwise; the host clears it).
extern "C" __global__ void finite_check_f32(const float* __restrict__ x, long long n, int* __restrict__ flags, int slot) {
    bool bad = false;
    REEL_GRID_STRIDE(i, n) bad |= !isfinite(x[i]);
    if (bad) flags[slot] = 1;
}
