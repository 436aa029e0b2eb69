/*
 * installed_prefix: a host program built against an installed Reel with nothing but
 * `pkg-config --cflags --libs reel`. It checks the library is the header's version, loads a
 * DnCNN checkpoint, denoises a noisy ramp (the result must be closer to the ramp than the
 * input was) and sees a missing checkpoint refused with its path in the message.
 *
 *   installed_host CHECKPOINT
 */
#include <reel.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define W 64
#define H 48

static double rmse(const uint8_t* a, const uint8_t* b) {
    double se = 0;
    for (int i = 0; i < W * H; i++) se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(se / (W * H));
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: installed_host CHECKPOINT\n");
        return 2;
    }
    if (strcmp(reel_version(), REEL_VERSION_STRING) != 0) {
        fprintf(stderr, "installed_host: libreel.so is %s, reel.h is %s\n", reel_version(), REEL_VERSION_STRING);
        return 1;
    }
    reel_engine* engine = NULL;
    reel_model* dncnn = NULL;
    if (reel_engine_create(REEL_BACKEND_AUTO, &engine) != REEL_OK ||
        reel_model_load(engine, REEL_MODEL_DENOISER, argv[1], &dncnn) != REEL_OK) {
        fprintf(stderr, "installed_host: %s\n", reel_last_error());
        return 1;
    }
    static uint8_t clean[W * H], noisy[W * H], denoised[W * H];
    uint32_t seed = 12345;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int v = 60 + 2 * x + y;
            seed = seed * 1664525u + 1013904223u;
            int n = (int)(seed >> 27) - 16; /* uniform in [-16, 15] */
            clean[y * W + x] = (uint8_t)v;
            noisy[y * W + x] = (uint8_t)(v + n < 0 ? 0 : v + n > 255 ? 255 : v + n);
        }
    reel_frame in = { noisy, W, H, W, REEL_PIXEL_GRAY8 };
    reel_frame out = { denoised, W, H, W, REEL_PIXEL_GRAY8 };
    int status = reel_frame_denoise(dncnn, &in, &out);
    if (status != REEL_OK) {
        fprintf(stderr, "installed_host: reel_frame_denoise: %s\n", reel_last_error());
        return 1;
    }
    double before = rmse(noisy, clean), after = rmse(denoised, clean);
    printf("installed_host: libreel %s, RMSE to the clean ramp %.2f → %.2f\n", reel_version(), before, after);
    if (!(after < before)) {
        fprintf(stderr, "installed_host: denoising did not bring the ramp closer\n");
        return 1;
    }
    reel_model* missing = NULL;
    const char* path = "/nonexistent/installed_host.pth";
    status = reel_model_load(engine, REEL_MODEL_DENOISER, path, &missing);
    if (status != REEL_E_CHECKPOINT || strstr(reel_last_error(), path) == NULL) {
        fprintf(stderr, "installed_host: a missing checkpoint gave %s: %s\n", reel_status_string(status), reel_last_error());
        return 1;
    }
    reel_engine_free(engine);
    return 0;
}
