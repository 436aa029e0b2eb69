#include "reel_cuda.cuh"

// Training: ∂L/∂x of y = relu(x) given y (the saved activation), in place on the gradient.
extern "C" __global__ void relu_backward_f32(const float* __restrict__ y, float* __restrict__ grad, long long n) {
    REEL_GRID_STRIDE(i, n) if (!(y[i] > 0.0f)) grad[i] = 0.0f;
}
