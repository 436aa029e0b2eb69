// Runs kernels/residual.cu through the CPU emulation and compares it with the plain formula,
// including n not a multiple of the block and a grid smaller than the data (grid-stride path).
#include <cstdio>
#include <random>
#include <vector>

#include "../residual.cu"

int main() {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.5f, 1.5f);
    int failures = 0;
    for (int n : {1, 31, 256, 1000, 4099}) {
        std::vector<float> x(n), noise(n), y(n + 8, 1234.5f);
        for (int i = 0; i < n; ++i) { x[i] = dist(rng); noise[i] = dist(rng); }
        for (unsigned grid : {1u, 3u, 64u}) {
            std::fill(y.begin(), y.end(), 1234.5f);
            reel_emu::launch(dim3(grid), dim3(128), residual_subtract_clamp_f32, x.data(), noise.data(), y.data(), n, 0.0f, 1.0f);
            for (int i = 0; i < n; ++i) {
                float want = std::fmin(std::fmax(x[i] - noise[i], 0.0f), 1.0f);
                if (y[i] != want) { std::printf("n=%d grid=%u: y[%d]=%g, want %g\n", n, grid, i, y[i], want); ++failures; break; }
            }
            for (int i = n; i < n + 8; ++i)
                if (y[i] != 1234.5f) { std::printf("n=%d grid=%u: wrote past the end at %d\n", n, grid, i); ++failures; break; }
        }
    }
    std::printf("residual_subtract_clamp_f32: %s\n", failures ? "FAILED" : "matches the reference");
    return failures ? 1 : 0;
}
