/*
 * c_api: Reel's C ABI end to end, as a native host uses it.
 *
 *   c_api_test --data SHARED_DATA --work DIR --reel REEL
 *
 * - error paths: NULL arguments, bad enum values, freed and foreign handles, a missing or wrong
 *   checkpoint (status and a last-error message that names the file), frames that do not fit,
 *   empty paths and strings that are not UTF-8 (refused in their field's name, no file written);
 * - dlclose: a copy of libreel.so dlopened, used and dlclosed 20 times stays loaded (it is linked
 *   -z nodelete: unmapped, the runtime's threads crashed the host);
 * - denoise parity: Set12/01.png with Gaussian noise (σ = 25, fixed seed) added here, denoised
 *   through the ABI with padded strides and in place, against `reel denoise` on the same noisy
 *   image: at most 1 u8 level apart, and the result must be much closer to the clean image;
 * - threads: the same model from two threads gives the same pixels; last errors are per thread;
 * - colorize parity: no ECCV16 checkpoint is in the shared data, so this program writes one with
 *   random weights in the official key layout (safetensors); the gray image colorized through
 *   the ABI (as GRAY8 and as RGB24) against `reel colorize`: at most 1 u8 level apart;
 * - restore: a generated 64×48 gray clip of 6 frames, with and without the temporal prior,
 *   progress reported; a callback that returns non-zero cancels, leaving no output and no temporary, only the
 *   shot's training saved in the work folder for the next call to go on from; one
 *   whose own reel_ call fails does not leave that call's message after the restore's REEL_OK;
 *   reel_video_restore_ex reports rates that match this program's own clock, an ETA that is
 *   unknown (NAN) until the prior trains and 0 at the end, and the prior's epoch and loss;
 * - restore jobs (reel_restore_job): a restore cancelled after its first shot is refused by a plain
 *   restore with other settings into the same output, naming them, and continued with resume, from
 *   that shot on; reel_video_restore, which has no resume, cancelled after the first of two shots
 *   continues on its next call with the same options; a stretch of the
 *   clip (from_s, to_s) through another encoder (FFV1) has that stretch's frames, in that codec;
 *   a folder of frames at frame_rate restores into a video at that rate, and a video into a folder
 *   of frames; each bad field is refused in its own name, before any work; a 0.3 program's smaller
 *   struct (no save_every_s) still restores; save_every_s 0 saves the shot's training during the run,
 *   the default minute does not have it saved by the third step.
 * ffmpeg/ffprobe (PNG ↔ PGM, the clip) and the CLI (REEL: the `reel` executable) run as child processes.
 */
#define _GNU_SOURCE
#include <reel.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_failures;
static char g_work[1024], g_data[1024], g_reel[1024];

#define CHECK(cond, ...) check((cond), #cond, __FILE__, __LINE__, __VA_ARGS__)
static void check(int ok, const char* expr, const char* file, int line, const char* format, ...) {
    if (ok) return;
    g_failures++;
    fprintf(stderr, "FAIL %s:%d: %s: ", file, line, expr);
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\n");
}

/* A status and, for errors, a message: what every error-path check asserts. */
static void expect_status(int got, int want, const char* must_mention, const char* what) {
    const char* message = reel_last_error();
    CHECK(got == want, "%s: got %s (%s), want %s", what, reel_status_string(got), message, reel_status_string(want));
    if (want != REEL_OK) {
        CHECK(message[0] != '\0', "%s: empty last error", what);
        if (must_mention != NULL)
            CHECK(strstr(message, must_mention) != NULL, "%s: last error '%s' does not mention '%s'", what, message, must_mention);
        printf("  %-48s %s: %s\n", what, reel_status_string(got), message);
    } else {
        CHECK(message[0] == '\0', "%s: last error '%s' after REEL_OK", what, message);
    }
}

static void die(const char* format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "c_api: ");
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\n");
    exit(1);
}

static void require_file(const char* path, const char* hint) {
    struct stat st;
    if (stat(path, &st) != 0) die("missing %s (%s)", path, hint);
}

static void path_in(char* out, size_t capacity, const char* dir, const char* name) {
    if ((size_t)snprintf(out, capacity, "%s/%s", dir, name) >= capacity) die("path too long: %s/%s", dir, name);
}

/* Runs a shell command built from the format; paths are single-quoted by the callers. */
static void run(const char* format, ...) {
    char command[8192];
    va_list args;
    va_start(args, format);
    vsnprintf(command, sizeof command, format, args);
    va_end(args);
    int rc = system(command);
    if (rc != 0) die("command failed (%d): %s", rc, command);
}

/* ---- 8-bit images as binary PGM / PPM (what ffmpeg writes with -pix_fmt gray / rgb24) ---- */

typedef struct image { int width, height, channels; uint8_t* pixels; } image;

static image read_pnm(const char* path) {
    FILE* f = fopen(path, "rb");
    if (f == NULL) die("cannot open %s: %s", path, strerror(errno));
    image im = { 0, 0, 0, NULL };
    char kind = 0;
    int maxval = 0;
    if (fscanf(f, "P%c %d %d %d", &kind, &im.width, &im.height, &maxval) != 4 || (kind != '5' && kind != '6') ||
        maxval != 255 || fgetc(f) == EOF)
        die("%s is not an 8-bit binary PGM or PPM", path);
    im.channels = kind == '5' ? 1 : 3;
    size_t n = (size_t)im.width * im.height * im.channels;
    im.pixels = malloc(n);
    if (im.pixels == NULL || fread(im.pixels, 1, n, f) != n) die("%s: truncated", path);
    fclose(f);
    return im;
}

static void write_pgm(const char* path, const image* im) {
    FILE* f = fopen(path, "wb");
    if (f == NULL) die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "P5\n%d %d\n255\n", im->width, im->height);
    fwrite(im->pixels, 1, (size_t)im->width * im->height, f);
    fclose(f);
}

/* ---- deterministic Gaussian noise: splitmix64 + Box–Muller ---- */

static uint64_t g_rng = 20240608;
static double uniform01(void) {
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double gaussian(void) {
    return sqrt(-2.0 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

static double psnr(const uint8_t* a, const uint8_t* b, size_t n) {
    double se = 0;
    for (size_t i = 0; i < n; i++) se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return 10.0 * log10(255.0 * 255.0 / (se / n));
}

/* A frame view over packed pixels, or a copy into rows padded by `pad` bytes. */
static reel_frame frame_of(uint8_t* pixels, int width, int height, int stride, int format) {
    reel_frame f = { pixels, width, height, stride, format };
    return f;
}

static image crop(const image* im, int x0, int y0, int width, int height) {
    image c = { width, height, 1, malloc((size_t)width * height) };
    if (c.pixels == NULL) die("out of memory");
    for (int y = 0; y < height; y++) memcpy(c.pixels + (size_t)y * width, im->pixels + (size_t)(y0 + y) * im->width + x0, width);
    return c;
}

static uint8_t* padded_copy(const image* im, int pad) {
    int stride = im->width + pad;
    uint8_t* p = malloc((size_t)stride * im->height);
    if (p == NULL) die("out of memory");
    memset(p, 0xAB, (size_t)stride * im->height);
    for (int y = 0; y < im->height; y++) memcpy(p + (size_t)y * stride, im->pixels + (size_t)y * im->width, im->width);
    return p;
}

/* ---- the tests ---- */

static void test_version(void) {
    printf("version: %s (ABI %d)\n", reel_version(), REEL_ABI_VERSION);
    CHECK(strcmp(reel_version(), REEL_VERSION_STRING) == 0, "reel_version() is %s", reel_version());
    CHECK(strcmp(reel_status_string(REEL_E_CHECKPOINT), "REEL_E_CHECKPOINT") == 0, "status string");
    CHECK(strcmp(reel_status_string(1234), "unknown status") == 0, "unknown status string");
    CHECK(reel_last_error() != NULL && reel_last_error()[0] == '\0', "last error before any call");
    expect_status(reel_engine_free(NULL), REEL_OK, NULL, "reel_engine_free(NULL)");
    expect_status(reel_model_free(NULL), REEL_OK, NULL, "reel_model_free(NULL)");
}

static void test_errors(const char* weights) {
    printf("error paths:\n");
    reel_engine* engine = (reel_engine*)0x1;
    expect_status(reel_engine_create(REEL_BACKEND_AUTO, NULL), REEL_E_INVALID_ARG, "NULL", "engine_create(out NULL)");
    expect_status(reel_engine_create(REEL_BACKEND_CUDA, &engine), REEL_E_UNSUPPORTED, "CUDA", "engine_create(CUDA)");
    CHECK(engine == NULL, "engine not NULL after failure");
    expect_status(reel_engine_create((reel_backend)42, &engine), REEL_E_INVALID_ARG, "42", "engine_create(42)");
    expect_status(reel_engine_create(REEL_BACKEND_CPU, &engine), REEL_OK, NULL, "engine_create(CPU)");

    reel_model* model = (reel_model*)0x1;
    const char* missing = "/nonexistent/reel/missing_dncnn.pth";
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, missing, &model), REEL_E_CHECKPOINT, missing, "model_load(missing file)");
    CHECK(model == NULL, "model not NULL after failure");
    expect_status(reel_model_load(engine, REEL_MODEL_COLORIZER, missing, &model), REEL_E_CHECKPOINT, missing, "model_load(colorizer, missing)");
    expect_status(reel_model_load(engine, REEL_MODEL_COLORIZER, weights, &model), REEL_E_CHECKPOINT, "kair_dncnn_25.pth",
                  "model_load(colorizer, a DnCNN file)");
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, NULL, &model), REEL_E_INVALID_ARG, "checkpoint_path", "model_load(path NULL)");
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, "", &model), REEL_E_INVALID_ARG, "checkpoint_path is empty", "model_load(path \"\")");
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, "/tmp/lat\xe9t.pth", &model), REEL_E_INVALID_ARG,
                  "checkpoint_path is not valid UTF-8: /tmp/lat\\xE9t.pth", "model_load(Latin-1 path)");
    expect_status(reel_model_load(NULL, REEL_MODEL_DENOISER, weights, &model), REEL_E_INVALID_ARG, "reel_engine", "model_load(engine NULL)");
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, weights, NULL), REEL_E_INVALID_ARG, "NULL", "model_load(out NULL)");
    expect_status(reel_model_load(engine, (reel_model_kind)7, weights, &model), REEL_E_INVALID_ARG, "kind 7", "model_load(kind 7)");
    expect_status(reel_model_free((reel_model*)0x7654321), REEL_E_INVALID_ARG, "reel_model", "model_free(foreign handle)");
    expect_status(reel_model_free((reel_model*)engine), REEL_E_INVALID_ARG, "reel_model", "model_free(an engine handle)");
    expect_status(reel_restore_options_init(NULL), REEL_E_INVALID_ARG, "options", "restore_options_init(NULL)");

    reel_restore_options opts;
    expect_status(reel_restore_options_init(&opts), REEL_OK, NULL, "restore_options_init");
    CHECK(opts.denoiser == NULL && opts.colorizer == NULL && opts.progress == NULL, "default models/callback not NULL");
    CHECK(opts.stabilize == 1 && opts.irt == -1 && opts.epochs == 0 && opts.memory_mb > 0 && opts.temperature == 1.0f,
          "defaults are not reel restore's: stabilize %d irt %d epochs %d memory %d T %g",
          opts.stabilize, opts.irt, opts.epochs, opts.memory_mb, opts.temperature);
    expect_status(reel_video_restore(engine, NULL, "out.mp4", &opts), REEL_E_INVALID_ARG, "input_path", "video_restore(input NULL)");
    expect_status(reel_video_restore(engine, "in.mp4", "out.mp4", NULL), REEL_E_INVALID_ARG, "options", "video_restore(options NULL)");
    expect_status(reel_video_restore(engine, "/nonexistent/in.mp4", "/tmp/out.mp4", &opts), REEL_E_IO, "/nonexistent/in.mp4",
                  "video_restore(missing input)");

    expect_status(reel_engine_free(engine), REEL_OK, NULL, "engine_free");
    expect_status(reel_engine_free(engine), REEL_E_INVALID_ARG, "reel_engine", "engine_free twice");
}

/*
 * dlopen/dlclose of libreel.so, 20 times, as a plugin host does. This program links libreel.so, so a
 * dlopen of that file only counts references; a copy under another name is a library of its own,
 * which dlclose would unmap if it could. Without -z nodelete it was unmapped while the runtime's
 * threads still ran in it: SIGSEGV about one time in three.
 */
static void test_dlclose(void) {
    printf("dlopen/dlclose:\n");
    Dl_info linked;
    if (dladdr((void*)reel_version, &linked) == 0 || linked.dli_fname == NULL) die("dladdr cannot say where reel_version is");
    char copy_dir[1200], copy[1200];
    path_in(copy_dir, sizeof copy_dir, g_work, "dlopen");
    path_in(copy, sizeof copy, copy_dir, "libreel.so");
    run("mkdir -p '%s' && cp '%s' '%s'", copy_dir, linked.dli_fname, copy);
    int rounds = 0, stayed = 0;
    for (int i = 0; i < 20; i++) {
        void* lib = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL) {
            CHECK(0, "dlopen %s: %s", copy, dlerror());
            break;
        }
        const char* (*version)(void) = (const char* (*)(void))dlsym(lib, "reel_version");
        int (*create)(reel_backend, reel_engine**) = (int (*)(reel_backend, reel_engine**))dlsym(lib, "reel_engine_create");
        int (*destroy)(reel_engine*) = (int (*)(reel_engine*))dlsym(lib, "reel_engine_free");
        reel_engine* engine = NULL;
        rounds += version != NULL && create != NULL && destroy != NULL && strcmp(version(), REEL_VERSION_STRING) == 0 &&
                  create(REEL_BACKEND_AUTO, &engine) == REEL_OK && destroy(engine) == REEL_OK;
        CHECK(dlclose(lib) == 0, "dlclose: %s", dlerror());
        void* still = dlopen(copy, RTLD_NOW | RTLD_NOLOAD);
        stayed += still != NULL;
        if (still != NULL) dlclose(still);
    }
    printf("  a copy of libreel.so: %d of 20 rounds of dlopen, reel_version, engine create and free, dlclose; loaded after dlclose %d times\n",
           rounds, stayed);
    CHECK(rounds == 20, "only %d of 20 rounds through the dlopened copy succeeded", rounds);
    CHECK(stayed == 20, "dlclose unloaded libreel.so (loaded afterwards %d of 20 times): it must be linked -z nodelete", stayed);
}

/* The model the parity test loaded; the thread test reuses it and its reference output. */
typedef struct shared_denoise { reel_model* model; const image* noisy; const uint8_t* expected; } shared_denoise;

static void* denoise_in_thread(void* arg) {
    const shared_denoise* s = arg;
    size_t n = (size_t)s->noisy->width * s->noisy->height;
    uint8_t* out = malloc(n);
    reel_frame in = frame_of(s->noisy->pixels, s->noisy->width, s->noisy->height, s->noisy->width, REEL_PIXEL_GRAY8);
    reel_frame o = frame_of(out, s->noisy->width, s->noisy->height, s->noisy->width, REEL_PIXEL_GRAY8);
    int status = reel_frame_denoise(s->model, &in, &o);
    int same = status == REEL_OK && memcmp(out, s->expected, n) == 0;
    int clean_error = reel_last_error()[0] == '\0';
    free(out);
    return (void*)(intptr_t)(same && clean_error);
}

static void test_denoise(const char* weights, const char* set12_png) {
    printf("denoise parity:\n");
    char clean_pgm[1200], noisy_pgm[1200], abi_pgm[1200], cli_png[1200], cli_pgm[1200], cli_log[1200];
    path_in(clean_pgm, sizeof clean_pgm, g_work, "clean.pgm");
    path_in(noisy_pgm, sizeof noisy_pgm, g_work, "noisy.pgm");
    path_in(abi_pgm, sizeof abi_pgm, g_work, "denoised_abi.pgm");
    path_in(cli_png, sizeof cli_png, g_work, "denoised_cli.png");
    path_in(cli_pgm, sizeof cli_pgm, g_work, "denoised_cli.pgm");
    path_in(cli_log, sizeof cli_log, g_work, "cli.log");
    run("ffmpeg -v error -nostdin -y -i '%s' -pix_fmt gray -frames:v 1 -update 1 '%s'", set12_png, clean_pgm);
    image clean = read_pnm(clean_pgm);
    size_t n = (size_t)clean.width * clean.height;
    image noisy = { clean.width, clean.height, 1, malloc(n) };
    for (size_t i = 0; i < n; i++) {
        double v = round(clean.pixels[i] + 25.0 * gaussian());
        noisy.pixels[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    write_pgm(noisy_pgm, &noisy);

    reel_engine* engine = NULL;
    reel_model* model = NULL;
    expect_status(reel_engine_create(REEL_BACKEND_AUTO, &engine), REEL_OK, NULL, "engine_create(AUTO)");
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, weights, &model), REEL_OK, NULL, "model_load(kair_dncnn_25.pth)");
    if (model == NULL) return;
    reel_model_info info = { 0, 0 };
    expect_status(reel_model_describe(model, &info), REEL_OK, NULL, "model_describe");
    CHECK(info.kind == REEL_MODEL_DENOISER && info.channels == 1, "info: kind %d channels %d", info.kind, info.channels);

    /* Packed in, packed out. */
    image abi = { clean.width, clean.height, 1, malloc(n) };
    reel_frame in = frame_of(noisy.pixels, noisy.width, noisy.height, noisy.width, REEL_PIXEL_GRAY8);
    reel_frame out = frame_of(abi.pixels, abi.width, abi.height, abi.width, REEL_PIXEL_GRAY8);
    expect_status(reel_frame_denoise(model, &in, &out), REEL_OK, NULL, "frame_denoise");
    write_pgm(abi_pgm, &abi);

    /* Strides and threads on a crop (each DnCNN pass at 256² costs seconds on two cores): the crop
     * denoised packed is the reference for padded rows in and out, in place, and two threads. */
    image small = crop(&noisy, 40, 60, 72, 40);
    image small_ref = { small.width, small.height, 1, malloc((size_t)small.width * small.height) };
    reel_frame small_in = frame_of(small.pixels, small.width, small.height, small.width, REEL_PIXEL_GRAY8);
    reel_frame small_out = frame_of(small_ref.pixels, small.width, small.height, small.width, REEL_PIXEL_GRAY8);
    expect_status(reel_frame_denoise(model, &small_in, &small_out), REEL_OK, NULL, "frame_denoise(72×40 crop)");
    /* Padded rows in and out (different strides), then in place: the same pixels, padding untouched. */
    uint8_t* padded_in = padded_copy(&small, 13);
    uint8_t* padded_out = padded_copy(&small, 29);
    memset(padded_out, 0xCD, (size_t)(small.width + 29) * small.height);
    reel_frame pin = frame_of(padded_in, small.width, small.height, small.width + 13, REEL_PIXEL_GRAY8);
    reel_frame pout = frame_of(padded_out, small.width, small.height, small.width + 29, REEL_PIXEL_GRAY8);
    expect_status(reel_frame_denoise(model, &pin, &pout), REEL_OK, NULL, "frame_denoise(strides +13, +29)");
    int rows_equal = 1, padding_kept = 1;
    for (int y = 0; y < small.height; y++) {
        const uint8_t* row = padded_out + (size_t)y * (small.width + 29);
        rows_equal &= memcmp(row, small_ref.pixels + (size_t)y * small.width, small.width) == 0;
        for (int x = small.width; x < small.width + 29; x++) padding_kept &= row[x] == 0xCD;
    }
    CHECK(rows_equal, "strided result differs from the packed one");
    CHECK(padding_kept, "bytes past the row width were written");
    expect_status(reel_frame_denoise(model, &pin, &pin), REEL_OK, NULL, "frame_denoise(in place)");
    rows_equal = 1;
    for (int y = 0; y < small.height; y++)
        rows_equal &= memcmp(padded_in + (size_t)y * (small.width + 13), small_ref.pixels + (size_t)y * small.width, small.width) == 0;
    CHECK(rows_equal, "in-place result differs from the packed one");
    free(padded_in);
    free(padded_out);

    /* The scalar reference backend, on a smaller crop (it is slow by design), agrees with the fast one. */
    reel_engine* reference = NULL;
    reel_model* reference_model = NULL;
    expect_status(reel_engine_create(REEL_BACKEND_CPU_REFERENCE, &reference), REEL_OK, NULL, "engine_create(CPU_REFERENCE)");
    expect_status(reel_model_load(reference, REEL_MODEL_DENOISER, weights, &reference_model), REEL_OK, NULL, "model_load(reference)");
    image tiny = crop(&noisy, 100, 100, 24, 16);
    uint8_t fast_px[24 * 16], reference_px[24 * 16];
    reel_frame tiny_in = frame_of(tiny.pixels, 24, 16, 24, REEL_PIXEL_GRAY8);
    reel_frame fast_out = frame_of(fast_px, 24, 16, 24, REEL_PIXEL_GRAY8);
    reel_frame reference_out = frame_of(reference_px, 24, 16, 24, REEL_PIXEL_GRAY8);
    expect_status(reel_frame_denoise(model, &tiny_in, &fast_out), REEL_OK, NULL, "frame_denoise(24×16, fast)");
    expect_status(reel_frame_denoise(reference_model, &tiny_in, &reference_out), REEL_OK, NULL, "frame_denoise(24×16, reference)");
    int backend_diff = 0;
    for (int i = 0; i < 24 * 16; i++)
        if (abs(fast_px[i] - reference_px[i]) > backend_diff) backend_diff = abs(fast_px[i] - reference_px[i]);
    printf("  fast vs reference backend on a 24×16 crop: max |diff| = %d u8 levels\n", backend_diff);
    CHECK(backend_diff <= 1, "fast and reference backends differ by %d levels", backend_diff);
    reel_engine_free(reference);
    free(tiny.pixels);

    /* Frames that do not fit, and the colorizer's buffer rules checked before its model kind. */
    uint8_t rgb[16 * 16 * 3];
    reel_frame rgb_in = frame_of(rgb, 16, 16, 48, REEL_PIXEL_RGB24);
    reel_frame rgb_out = frame_of(rgb, 16, 16, 48, REEL_PIXEL_RGB24);
    reel_frame bad = in;
    expect_status(reel_frame_denoise(model, NULL, &out), REEL_E_INVALID_ARG, "in is NULL", "frame_denoise(in NULL)");
    expect_status(reel_frame_denoise(model, &in, NULL), REEL_E_INVALID_ARG, "out is NULL", "frame_denoise(out NULL)");
    expect_status(reel_frame_denoise(NULL, &in, &out), REEL_E_INVALID_ARG, "reel_model", "frame_denoise(model NULL)");
    expect_status(reel_frame_denoise(model, &rgb_in, &rgb_out), REEL_E_INVALID_ARG, "REEL_PIXEL_GRAY8", "frame_denoise(RGB into gray DnCNN)");
    bad.stride = noisy.width - 1;
    expect_status(reel_frame_denoise(model, &bad, &out), REEL_E_INVALID_ARG, "stride", "frame_denoise(stride < width)");
    bad = in;
    bad.pixels = NULL;
    expect_status(reel_frame_denoise(model, &bad, &out), REEL_E_INVALID_ARG, "pixels", "frame_denoise(pixels NULL)");
    bad = in;
    bad.format = 2;
    expect_status(reel_frame_denoise(model, &bad, &out), REEL_E_INVALID_ARG, "format", "frame_denoise(format 2)");
    bad = out;
    bad.width = noisy.width / 2;
    expect_status(reel_frame_denoise(model, &in, &bad), REEL_E_INVALID_ARG, "size", "frame_denoise(out smaller)");
    reel_frame gray_small = frame_of(rgb, 16, 16, 16, REEL_PIXEL_GRAY8);
    expect_status(reel_frame_colorize(model, 1.0f, &gray_small, &gray_small), REEL_E_INVALID_ARG, "REEL_PIXEL_RGB24",
                  "frame_colorize(gray out)");
    expect_status(reel_frame_colorize(model, 0.0f, &gray_small, &rgb_out), REEL_E_INVALID_ARG, "temperature", "frame_colorize(T = 0)");
    expect_status(reel_frame_colorize(model, 1.0f, &gray_small, &rgb_out), REEL_E_INVALID_ARG, "denoiser",
                  "frame_colorize(gray → RGB, with a denoiser)");

    /* The CLI on the same noisy image. */
    run("'%s' denoise '%s' '%s' --weights '%s' 2>'%s'", g_reel, noisy_pgm, cli_png, weights, cli_log);
    run("ffmpeg -v error -nostdin -y -i '%s' -pix_fmt gray -frames:v 1 -update 1 '%s'", cli_png, cli_pgm);
    image cli = read_pnm(cli_pgm);
    CHECK(cli.width == abi.width && cli.height == abi.height, "CLI result is %d×%d", cli.width, cli.height);
    int max_diff = 0;
    size_t differing = 0;
    for (size_t i = 0; i < n && cli.width == abi.width && cli.height == abi.height; i++) {
        int d = abs((int)cli.pixels[i] - (int)abi.pixels[i]);
        if (d > max_diff) max_diff = d;
        differing += d != 0;
    }
    double psnr_noisy = psnr(noisy.pixels, clean.pixels, n), psnr_abi = psnr(abi.pixels, clean.pixels, n);
    printf("  ABI vs CLI on %d×%d: max |diff| = %d u8 levels, %zu pixels differ\n", abi.width, abi.height, max_diff, differing);
    printf("  PSNR against the clean image: noisy %.2f dB, ABI-denoised %.2f dB\n", psnr_noisy, psnr_abi);
    CHECK(max_diff <= 1, "ABI and CLI differ by %d levels", max_diff);
    CHECK(psnr_abi > psnr_noisy + 6.0, "denoising gained only %.2f dB", psnr_abi - psnr_noisy);

    /* Two threads on the one model, while this thread holds an error of its own. */
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, "/nonexistent/x.pth", &(reel_model*){ NULL }),
                  REEL_E_CHECKPOINT, "/nonexistent/x.pth", "model_load(missing) on the main thread");
    shared_denoise s = { model, &small, small_ref.pixels };
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, denoise_in_thread, &s);
    for (int i = 0; i < 2; i++) {
        void* ok = NULL;
        pthread_join(threads[i], &ok);
        CHECK(ok != NULL, "thread %d: different pixels or a stray last error", i);
    }
    CHECK(strstr(reel_last_error(), "/nonexistent/x.pth") != NULL, "main thread's last error was overwritten: '%s'", reel_last_error());
    printf("  two threads, one model: same pixels; last errors stayed per thread\n");

    /* Freeing the engine frees its models. */
    expect_status(reel_engine_free(engine), REEL_OK, NULL, "engine_free (with a live model)");
    expect_status(reel_model_describe(model, &info), REEL_E_INVALID_ARG, "reel_model", "model_describe after its engine was freed");
    free(clean.pixels);
    free(noisy.pixels);
    free(small.pixels);
    free(small_ref.pixels);
    free(abi.pixels);
    free(cli.pixels);
}

/* ---- colorize ---- */

/* One tensor of the ECCV16 layout: name, shape, and how to fill it. */
typedef enum fill { HE_UNIFORM, SMALL, ONES, ZEROS, CENTRES } fill;
typedef struct tensor_spec { char name[32]; int rank, dims[4]; fill fill; } tensor_spec;

#define ECCV16_TENSORS 75

static int add_tensor(tensor_spec* specs, int count, const char* name, fill fill, int rank, int d0, int d1, int d2, int d3) {
    if (count >= ECCV16_TENSORS) die("more ECCV16 tensors than the %d expected", ECCV16_TENSORS);
    tensor_spec* t = &specs[count];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rank = rank;
    t->dims[0] = d0, t->dims[1] = d1, t->dims[2] = d2, t->dims[3] = d3;
    t->fill = fill;
    return count + 1;
}

/*
 * Random weights in the key layout of colorization_release_v2 (engine/Models/Colorizer.cs reads
 * the same): He-uniform convs keep activations in range through the 23 layers, BN is the
 * identity, and model_out holds random bin centres in [-1, 1] (× 110 gives ab).
 */
static void write_random_colorizer(const char* path) {
    static const struct { int block, convs, in, width; } blocks[] = {
        { 1, 2, 1, 64 }, { 2, 2, 64, 128 }, { 3, 3, 128, 256 }, { 4, 3, 256, 512 },
        { 5, 3, 512, 512 }, { 6, 3, 512, 512 }, { 7, 3, 512, 512 },
    };
    tensor_spec specs[ECCV16_TENSORS];
    int count = 0;
    char name[32];
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        int in = blocks[b].in;
        for (int c = 0; c < blocks[b].convs; c++) {
            snprintf(name, sizeof name, "model%d.%d.weight", blocks[b].block, 2 * c);
            count = add_tensor(specs, count, name, HE_UNIFORM, 4, blocks[b].width, in, 3, 3);
            snprintf(name, sizeof name, "model%d.%d.bias", blocks[b].block, 2 * c);
            count = add_tensor(specs, count, name, SMALL, 1, blocks[b].width, 0, 0, 0);
            in = blocks[b].width;
        }
        static const char* bn_fields[] = { "weight", "bias", "running_mean", "running_var" };
        static const fill bn_fills[] = { ONES, ZEROS, ZEROS, ONES };
        for (int f = 0; f < 4; f++) {
            snprintf(name, sizeof name, "model%d.%d.%s", blocks[b].block, 2 * blocks[b].convs, bn_fields[f]);
            count = add_tensor(specs, count, name, bn_fills[f], 1, blocks[b].width, 0, 0, 0);
        }
    }
    count = add_tensor(specs, count, "model8.0.weight", HE_UNIFORM, 4, 512, 256, 4, 4);
    count = add_tensor(specs, count, "model8.0.bias", SMALL, 1, 256, 0, 0, 0);
    count = add_tensor(specs, count, "model8.2.weight", HE_UNIFORM, 4, 256, 256, 3, 3);
    count = add_tensor(specs, count, "model8.2.bias", SMALL, 1, 256, 0, 0, 0);
    count = add_tensor(specs, count, "model8.4.weight", HE_UNIFORM, 4, 256, 256, 3, 3);
    count = add_tensor(specs, count, "model8.4.bias", SMALL, 1, 256, 0, 0, 0);
    count = add_tensor(specs, count, "model8.6.weight", HE_UNIFORM, 4, 313, 256, 1, 1);
    count = add_tensor(specs, count, "model8.6.bias", SMALL, 1, 313, 0, 0, 0);
    count = add_tensor(specs, count, "model_out.weight", CENTRES, 4, 2, 313, 1, 1);

    /* safetensors: u64 header length, JSON header (space-padded to 8 bytes), raw little-endian f32. */
    size_t capacity = 16384, used = 0;
    char* header = malloc(capacity);
    uint64_t offset = 0;
    used += snprintf(header + used, capacity - used, "{");
    for (int i = 0; i < count; i++) {
        uint64_t elements = 1;
        char shape[64] = "";
        for (int d = 0; d < specs[i].rank; d++) {
            elements *= (uint64_t)specs[i].dims[d];
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%d", d ? "," : "", specs[i].dims[d]);
        }
        used += snprintf(header + used, capacity - used, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%s],\"data_offsets\":[%llu,%llu]}",
                         i ? "," : "", specs[i].name, shape, (unsigned long long)offset, (unsigned long long)(offset + 4 * elements));
        offset += 4 * elements;
    }
    used += snprintf(header + used, capacity - used, "}");
    if (used + 8 >= capacity) die("safetensors header does not fit");
    while (used % 8) header[used++] = ' ';
    FILE* f = fopen(path, "wb");
    if (f == NULL) die("cannot write %s: %s", path, strerror(errno));
    uint64_t length = used;
    fwrite(&length, 8, 1, f);
    fwrite(header, 1, used, f);
    for (int i = 0; i < count; i++) {
        const tensor_spec* t = &specs[i];
        size_t elements = 1, fan_in = 1;
        for (int d = 0; d < t->rank; d++) elements *= (size_t)t->dims[d];
        for (int d = 1; d < t->rank; d++) fan_in *= (size_t)t->dims[d];
        /* A transposed conv's weight is (in, out, kh, kw): each output sums in × kh × kw / 4 inputs at stride 2. */
        if (strcmp(t->name, "model8.0.weight") == 0) fan_in = (size_t)t->dims[0] * t->dims[2] * t->dims[3] / 4;
        float* values = malloc(elements * sizeof(float));
        double bound = sqrt(6.0 / (double)fan_in);
        for (size_t e = 0; e < elements; e++) {
            double u = 2.0 * uniform01() - 1.0;
            values[e] = (float)(t->fill == HE_UNIFORM ? u * bound : t->fill == SMALL ? 0.01 * u
                              : t->fill == ONES ? 1.0 : t->fill == CENTRES ? u : 0.0);
        }
        fwrite(values, sizeof(float), elements, f);
        free(values);
    }
    if (fclose(f) != 0) die("cannot write %s", path);
    free(header);
}

static void test_colorize(void) {
    printf("colorize parity (random ECCV16 weights):\n");
    char weights[1200], clean_pgm[1200], cli_png[1200], cli_ppm[1200], cli_log[1200];
    path_in(weights, sizeof weights, g_work, "eccv16_random.safetensors");
    path_in(clean_pgm, sizeof clean_pgm, g_work, "clean.pgm");
    path_in(cli_png, sizeof cli_png, g_work, "colorized_cli.png");
    path_in(cli_ppm, sizeof cli_ppm, g_work, "colorized_cli.ppm");
    path_in(cli_log, sizeof cli_log, g_work, "cli_colorize.log");
    write_random_colorizer(weights);
    image gray = read_pnm(clean_pgm);
    size_t n = (size_t)gray.width * gray.height;

    reel_engine* engine = NULL;
    reel_model* colorizer = NULL;
    expect_status(reel_engine_create(REEL_BACKEND_AUTO, &engine), REEL_OK, NULL, "engine_create");
    expect_status(reel_model_load(engine, REEL_MODEL_COLORIZER, weights, &colorizer), REEL_OK, NULL, "model_load(colorizer)");
    if (colorizer == NULL) return;
    reel_model_info info = { 0, 0 };
    expect_status(reel_model_describe(colorizer, &info), REEL_OK, NULL, "model_describe(colorizer)");
    CHECK(info.kind == REEL_MODEL_COLORIZER && info.channels == 1, "info: kind %d channels %d", info.kind, info.channels);

    uint8_t* from_gray = malloc(3 * n);
    uint8_t* rgb_in = malloc(3 * n);
    uint8_t* from_rgb = malloc(3 * n);
    for (size_t i = 0; i < n; i++) rgb_in[3 * i] = rgb_in[3 * i + 1] = rgb_in[3 * i + 2] = gray.pixels[i];
    reel_frame in = frame_of(gray.pixels, gray.width, gray.height, gray.width, REEL_PIXEL_GRAY8);
    reel_frame out = frame_of(from_gray, gray.width, gray.height, 3 * gray.width, REEL_PIXEL_RGB24);
    expect_status(reel_frame_colorize(colorizer, 1.0f, &in, &out), REEL_OK, NULL, "frame_colorize(GRAY8 → RGB24)");
    reel_frame in_rgb = frame_of(rgb_in, gray.width, gray.height, 3 * gray.width, REEL_PIXEL_RGB24);
    out.pixels = from_rgb;
    expect_status(reel_frame_colorize(colorizer, 1.0f, &in_rgb, &out), REEL_OK, NULL, "frame_colorize(RGB24 → RGB24)");
    CHECK(memcmp(from_gray, from_rgb, 3 * n) == 0, "a gray frame and the same frame as RGB colorize differently");
    expect_status(reel_frame_denoise(colorizer, &in, &in), REEL_E_INVALID_ARG, "colorizer", "frame_denoise(with a colorizer)");

    run("'%s' colorize '%s' '%s' --weights '%s' 2>'%s'", g_reel, clean_pgm, cli_png, weights, cli_log);
    run("ffmpeg -v error -nostdin -y -i '%s' -pix_fmt rgb24 -frames:v 1 -update 1 '%s'", cli_png, cli_ppm);
    image cli = read_pnm(cli_ppm);
    CHECK(cli.width == gray.width && cli.height == gray.height && cli.channels == 3, "CLI result is %d×%d×%d",
          cli.width, cli.height, cli.channels);
    int max_diff = 0;
    size_t coloured = 0;
    for (size_t i = 0; i < 3 * n && cli.width == gray.width && cli.height == gray.height && cli.channels == 3; i++) {
        int d = abs((int)cli.pixels[i] - (int)from_gray[i]);
        if (d > max_diff) max_diff = d;
    }
    for (size_t i = 0; i < n; i++)
        coloured += from_gray[3 * i] != from_gray[3 * i + 1] || from_gray[3 * i + 1] != from_gray[3 * i + 2];
    printf("  ABI vs CLI on %d×%d: max |diff| = %d u8 levels; %zu of %zu pixels are not gray\n", gray.width, gray.height,
           max_diff, coloured, n);
    CHECK(max_diff <= 1, "ABI and CLI differ by %d levels", max_diff);
    CHECK(coloured > n / 2, "only %zu pixels got colour", coloured);
    reel_engine_free(engine);
    remove(weights); /* 129 MB; the seed makes it again */
    free(gray.pixels);
    free(cli.pixels);
    free(from_gray);
    free(rgb_in);
    free(from_rgb);
}

/* ---- restore ---- */

typedef struct progress_log {
    int calls, process_calls, stabilize_calls, encode_calls;
    int64_t last_done, last_total;
    int cancel_at_encode; /* > 0: cancel at this encode call, when the encoder has its temp file open */
    int failing_call;     /* non-zero: each call makes a reel_ call that fails, as a host's callback may */
    int failed_calls;     /* how many of those returned REEL_E_INVALID_ARG with a message */
} progress_log;

static int on_progress(void* user, const char* stage, int64_t done, int64_t total) {
    progress_log* log = user;
    log->calls++;
    if (log->failing_call)
        log->failed_calls += reel_model_describe(NULL, NULL) == REEL_E_INVALID_ARG && reel_last_error()[0] != '\0';
    log->last_done = done;
    log->last_total = total;
    log->process_calls += strcmp(stage, "process") == 0;
    log->stabilize_calls += strcmp(stage, "stabilize") == 0;
    log->encode_calls += strcmp(stage, "encode") == 0;
    return log->cancel_at_encode > 0 && log->encode_calls >= log->cancel_at_encode;
}

/* What reel_video_restore_ex reported, checked per call and kept for checks after the restore. */
typedef struct measured_log {
    int calls, bad_calls;
    char first_bad[512];
    int64_t done[3];          /* process, stabilize, encode: the last done */
    double rate[3];           /* and the last rate */
    double at[3];             /* and when (this program's monotonic clock, s) */
    double eta_first_known, eta_last_stabilize, eta_last;
    int eta_known_while_processing;
} measured_log;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void bad_call(measured_log* log, const char* format, ...) {
    if (log->bad_calls++ > 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(log->first_bad, sizeof log->first_bad, format, args);
    va_end(args);
}

static int on_measured(void* user, const reel_progress* p) {
    measured_log* log = user;
    log->calls++;
    if (p->size != (int32_t)sizeof(reel_progress) || p->stage == NULL || p->detail == NULL) {
        bad_call(log, "size %d (want %zu), stage %p, detail %p", p->size, sizeof(reel_progress), (void*)p->stage, (void*)p->detail);
        return 0;
    }
    int stage = strcmp(p->stage, "process") == 0 ? 0 : strcmp(p->stage, "stabilize") == 0 ? 1 : strcmp(p->stage, "encode") == 0 ? 2 : -1;
    if (stage >= 0) {
        if (!(isfinite(p->rate) && p->rate > 0))
            bad_call(log, "%s %lld/%lld: rate %g", p->stage, (long long)p->done, (long long)p->total, p->rate);
        int fields_ok = stage == 1 ? p->epoch == 1 && p->epochs == 1 && isfinite(p->loss) && p->loss >= 0
                                   : p->epoch == 0 && p->epochs == 0 && isnan(p->loss);
        if (!fields_ok || p->shot != 1)
            bad_call(log, "%s: shot %d epoch %d/%d loss %g", p->stage, p->shot, p->epoch, p->epochs, p->loss);
        log->done[stage] = p->done;
        log->rate[stage] = p->rate;
        log->at[stage] = now_s();
    }
    if (stage == 0 && !isnan(p->eta_s)) log->eta_known_while_processing = 1;
    if (!isnan(p->eta_s) && isnan(log->eta_first_known)) log->eta_first_known = p->eta_s;
    if (stage == 1) log->eta_last_stabilize = p->eta_s;
    log->eta_last = p->eta_s;
    return 0;
}

static long count_frames(const char* video) {
    char command[2048];
    snprintf(command, sizeof command,
             "ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 '%s'", video);
    FILE* p = popen(command, "r");
    long frames = -1;
    if (p == NULL || fscanf(p, "%ld", &frames) != 1) frames = -1;
    if (p != NULL) pclose(p);
    return frames;
}

/* Entries in the work folder whose names start with the prefix (the sinks' temp files start ".name."). */
static int count_entries(const char* prefix) {
    DIR* d = opendir(g_work);
    int count = 0;
    for (struct dirent* e; d != NULL && (e = readdir(d)) != NULL;)
        count += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d != NULL) closedir(d);
    return count;
}

/* Removes `folder` and the files in it (a work folder: no subfolders). */
static void remove_folder(const char* folder) {
    DIR* d = opendir(folder);
    char path[1500];
    for (struct dirent* e; d != NULL && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        unlink(path);
    }
    if (d != NULL) closedir(d);
    rmdir(folder);
}

/* A CPU engine and the DnCNN of `weights` loaded through it; NULL (the engine freed) when either fails. */
static reel_model* load_denoiser(const char* weights, reel_engine** engine) {
    reel_model* dncnn = NULL;
    expect_status(reel_engine_create(REEL_BACKEND_AUTO, engine), REEL_OK, NULL, "engine_create");
    expect_status(reel_model_load(*engine, REEL_MODEL_DENOISER, weights, &dncnn), REEL_OK, NULL, "model_load");
    if (dncnn == NULL) reel_engine_free(*engine);
    return dncnn;
}

static void test_restore(const char* weights) {
    printf("restore:\n");
    char clip[1200], plain[1200], stable[1200], cancelled[1200];
    path_in(clip, sizeof clip, g_work, "clip.mp4");
    path_in(plain, sizeof plain, g_work, "restored_plain.mp4");
    path_in(stable, sizeof stable, g_work, "restored_stable.mp4");
    path_in(cancelled, sizeof cancelled, g_work, "cancelled.mp4");
    run("ffmpeg -v error -nostdin -y -f lavfi -i testsrc=size=64x48:rate=6:duration=1 -vf format=gray,noise=alls=20:allf=t "
        "-c:v libx264 -pix_fmt yuv420p '%s'", clip);

    reel_engine* engine = NULL;
    reel_model* dncnn = load_denoiser(weights, &engine);
    if (dncnn == NULL) return;

    reel_restore_options opts;
    reel_restore_options_init(&opts);
    /* The callback's own failing reel_ calls leave their message on this thread; expect_status asserts "" after REEL_OK. */
    progress_log log = { .failing_call = 1 };
    opts.denoiser = dncnn;
    opts.stabilize = 0;
    opts.progress = on_progress;
    opts.progress_user = &log;
    expect_status(reel_video_restore(engine, clip, plain, &opts), REEL_OK, NULL, "video_restore(denoise only, callback's calls fail)");
    CHECK(log.failed_calls == log.calls && log.calls > 0, "%d of the callback's %d reel_model_describe(NULL, NULL) calls failed",
          log.failed_calls, log.calls);
    long frames = count_frames(plain);
    printf("  denoise only: %d progress calls (%d process, %d encode), last %lld/%lld; output has %ld frames\n",
           log.calls, log.process_calls, log.encode_calls, (long long)log.last_done, (long long)log.last_total, frames);
    CHECK(log.process_calls == 6 && log.encode_calls == 6 && log.last_done == 6 && log.last_total == 6,
          "progress: %d process and %d encode calls, last %lld/%lld", log.process_calls, log.encode_calls,
          (long long)log.last_done, (long long)log.last_total);
    CHECK(frames == 6, "%s has %ld frames, want 6", plain, frames);

    progress_log stable_log = { 0 };
    measured_log measured = { .eta_first_known = NAN, .eta_last_stabilize = NAN, .eta_last = NAN };
    opts.stabilize = 1;
    opts.irt = 0;
    opts.epochs = 1;
    opts.progress_user = &stable_log;
    double start = now_s();
    expect_status(reel_video_restore_ex(engine, clip, stable, &opts, on_measured, &measured), REEL_OK, NULL,
                  "video_restore_ex(with the prior, 1 epoch)");
    double wall = now_s() - start;
    frames = count_frames(stable);
    printf("  with the prior: %d progress calls (%d stabilize, %d encode); output has %ld frames\n", stable_log.calls,
           stable_log.stabilize_calls, stable_log.encode_calls, frames);
    CHECK(stable_log.stabilize_calls == 6 && stable_log.encode_calls == 6, "progress: %d stabilize calls, %d encode calls; want 6 and 6",
          stable_log.stabilize_calls, stable_log.encode_calls);
    CHECK(frames == 6, "%s has %ld frames, want 6", stable, frames);

    /* The stages run one after another here, so the seconds a rate implies (done / rate) for the
     * prior and the encoder are the wall time between the last call of the stage before and
     * their own last call; process's include decoding's start, so only the whole bounds them. */
    double implied[3], own[3] = { measured.at[0] - start, measured.at[1] - measured.at[0], measured.at[2] - measured.at[1] };
    for (int i = 0; i < 3; i++) implied[i] = measured.done[i] / measured.rate[i];
    printf("  reel_video_restore_ex: %d calls in %.2f s; seconds implied by the rates (clock here): process %.3f (%.3f), "
           "stabilize %.3f (%.3f), encode %.3f (%.3f); ETA first known %.2f s, at the last training step %.3f s, at the end %g s\n",
           measured.calls, wall, implied[0], own[0], implied[1], own[1], implied[2], own[2],
           measured.eta_first_known, measured.eta_last_stabilize, measured.eta_last);
    CHECK(measured.bad_calls == 0, "%d calls with wrong fields; the first: %s", measured.bad_calls, measured.first_bad);
    CHECK(measured.calls == stable_log.calls, "the measured callback ran %d times, the plain one %d", measured.calls, stable_log.calls);
    CHECK(measured.done[0] == 6 && measured.done[1] == 6 && measured.done[2] == 6, "last done: process %lld, stabilize %lld, encode %lld; want 6",
          (long long)measured.done[0], (long long)measured.done[1], (long long)measured.done[2]);
    CHECK(implied[0] > 0 && implied[0] <= own[0] * 1.01, "process: %.3f s implied, %.3f s from the call to its last frame", implied[0], own[0]);
    for (int i = 1; i < 3; i++)
        CHECK(implied[i] >= own[i] / 2 && implied[i] <= own[i] * 2, "%s: %.3f s implied by its rate, %.3f s on this program's clock",
              i == 1 ? "stabilize" : "encode", implied[i], own[i]);
    CHECK(!measured.eta_known_while_processing, "an ETA was given before the prior had trained a step");
    CHECK(isfinite(measured.eta_first_known) && measured.eta_first_known > measured.eta_last_stabilize && measured.eta_last == 0,
          "ETA: first known %g s, at the last training step %g s, at the end %g s; want falling to 0",
          measured.eta_first_known, measured.eta_last_stabilize, measured.eta_last);

    progress_log cancel_log = { .cancel_at_encode = 2 };
    opts.progress_user = &cancel_log;
    expect_status(reel_video_restore(engine, clip, cancelled, &opts), REEL_E_CANCELLED, "cancelled", "video_restore(callback cancels)");
    struct stat st;
    CHECK(stat(cancelled, &st) != 0, "%s exists after cancelling", cancelled);
    /* Cancelled as the trained prior made its frames: its training is kept (the work folder), nothing else. */
    char work_folder[1200], saved_training[1300];
    path_in(work_folder, sizeof work_folder, g_work, ".cancelled.mp4.reel-work");
    snprintf(saved_training, sizeof saved_training, "%s/training-00001.safetensors", work_folder);
    CHECK(stat(saved_training, &st) == 0, "the cancelled restore kept no training at %s", saved_training);
    CHECK(count_entries(".cancelled.") == 1, "a temporary file of the cancelled restore was left in %s", g_work);
    remove_folder(work_folder);
    CHECK(cancel_log.encode_calls == 2 && cancel_log.calls == 6 + 6 + 2,
          "the callback ran %d times (%d encode); it must stop at the cancelling call", cancel_log.calls, cancel_log.encode_calls);

    /* With 8 epochs, which IRT takes, so only the value itself can be refused. */
    opts.epochs = 8;
    opts.irt = 5;
    expect_status(reel_video_restore(engine, clip, cancelled, &opts), REEL_E_INVALID_ARG, "irt 5 is not", "video_restore(irt 5)");
    opts.irt = -7;
    expect_status(reel_video_restore(engine, clip, cancelled, &opts), REEL_E_INVALID_ARG, "irt -7 is not", "video_restore(irt -7)");
    opts.irt = 1;
    opts.epochs = 3;
    expect_status(reel_video_restore(engine, clip, cancelled, &opts), REEL_E_INVALID_ARG, "irt = 0", "video_restore(IRT, 3 epochs)");
    opts.irt = 0;
    opts.epochs = -2;
    expect_status(reel_video_restore(engine, clip, cancelled, &opts), REEL_E_INVALID_ARG, "epochs must be ≥ 1, got -2",
                  "video_restore(epochs -2)");
    opts.epochs = 3;
    opts.colorizer = dncnn;
    expect_status(reel_video_restore(engine, clip, cancelled, &opts), REEL_E_INVALID_ARG, "colorizer", "video_restore(denoiser as colorizer)");
    opts.colorizer = NULL;
    expect_status(reel_video_restore(engine, clip, clip, &opts), REEL_E_INVALID_ARG, "overwrite", "video_restore(output = input)");
    /* A link to the input is the input too: refused the same way, where it was REEL_E_FAILED from deeper in the restore. */
    char link_to_clip[1200];
    path_in(link_to_clip, sizeof link_to_clip, g_work, "link-to-clip.mp4");
    unlink(link_to_clip);
    if (symlink(clip, link_to_clip) != 0) die("symlink %s: %s", link_to_clip, strerror(errno));
    expect_status(reel_video_restore(engine, clip, link_to_clip, &opts), REEL_E_INVALID_ARG, "overwrite", "video_restore(output = a link to the input)");
    unlink(link_to_clip);
    expect_status(reel_video_restore(engine, clip, "/nonexistent/dir/out.mp4", &opts), REEL_E_IO, "/nonexistent/dir",
                  "video_restore(output folder missing)");
    /* No callback to cancel and no prior: a path wrongly accepted would be restored, quickly, and the checks below see its file. */
    opts.progress = NULL;
    opts.stabilize = 0;
    expect_status(reel_video_restore(engine, clip, "", &opts), REEL_E_INVALID_ARG, "output_path is empty", "video_restore(output \"\")");
    expect_status(reel_video_restore(engine, "", plain, &opts), REEL_E_INVALID_ARG, "input_path is empty", "video_restore(input \"\")");
    /* Decoded leniently, \xff became U+FFFD and the restore wrote "o\xef\xbf\xbd.mp4", a file the caller never named. */
    char latin1[1200], replaced[1200];
    path_in(latin1, sizeof latin1, g_work, "o\xff.mp4");
    path_in(replaced, sizeof replaced, g_work, "o\xef\xbf\xbd.mp4");
    expect_status(reel_video_restore(engine, clip, latin1, &opts), REEL_E_INVALID_ARG, "output_path is not valid UTF-8: ",
                  "video_restore(output with byte 0xFF)");
    CHECK(strstr(reel_last_error(), "o\\xFF.mp4") != NULL, "the message does not show the bad byte as \\xFF: '%s'", reel_last_error());
    struct stat none;
    CHECK(stat(latin1, &none) != 0 && stat(replaced, &none) != 0 && count_entries(".o") == 0,
          "a refused output path with byte 0xFF left a file (or its U+FFFD twin, or a temporary) in %s", g_work);
    reel_engine_free(engine);
}

/* ---- restore jobs ---- */

typedef struct job_log {
    int saved, cancel_after_saved; /* > 0: cancel once this many shots' pieces are kept */
    int64_t resumed;               /* done of the "resume" report: frames kept from the interrupted run; -1: none */
} job_log;

static int on_job_progress(void* user, const reel_progress* p) {
    job_log* log = user;
    log->saved += strcmp(p->stage, "saved") == 0;
    if (strcmp(p->stage, "resume") == 0) log->resumed = p->done;
    return log->cancel_after_saved > 0 && log->saved >= log->cancel_after_saved;
}

/* Cancels a stabilizing restore at its third training step's report, noting whether the shot's training was saved by then. */
typedef struct save_log {
    const char* training; /* where the work folder keeps shot 1's training */
    int steps, saved_by_step3;
} save_log;

static int on_save_progress(void* user, const reel_progress* p) {
    save_log* log = user;
    if (strcmp(p->stage, "stabilize") != 0 || ++log->steps < 3) return 0;
    struct stat st;
    log->saved_by_step3 = stat(log->training, &st) == 0;
    return 1;
}

/*
 * job.save_every_s: 0 saves the shot's training after every step, so it is in the work folder by the third step;
 * the default minute has not come by then. (Both cancels save it on the way out, so only a look during the run tells.)
 */
static void test_save_every(reel_engine* engine, reel_restore_options* opts, const char* clip) {
    char out[1200], work[1200];
    path_in(out, sizeof out, g_work, "saves.mp4");
    path_in(work, sizeof work, g_work, ".saves.mp4.reel-work");
    reel_restore_options stabilizing = *opts;
    stabilizing.stabilize = 1;
    stabilizing.epochs = 2;
    stabilizing.irt = 0;
    reel_restore_job job;
    for (int every_step = 1; every_step >= 0; every_step--) {
        remove_folder(work);
        reel_restore_job_init(&job);
        if (every_step) job.save_every_s = 0;
        save_log log = { 0 };
        char training[1300];
        snprintf(training, sizeof training, "%s/training-00001.safetensors", work);
        log.training = training;
        expect_status(reel_video_restore_job(engine, clip, out, &stabilizing, &job, on_save_progress, &log), REEL_E_CANCELLED, "cancelled",
                      every_step ? "video_restore_job(save_every_s 0, cancelled at step 3)" : "video_restore_job(save_every_s 60, cancelled at step 3)");
        printf("  save_every_s %g: training %s by step 3\n", job.save_every_s, log.saved_by_step3 ? "saved" : "not saved");
        CHECK(log.saved_by_step3 == every_step, "save_every_s %g: the shot's training was %s in %s by step 3", job.save_every_s,
              log.saved_by_step3 ? "saved" : "not saved", work);
    }
    remove_folder(work);
}

/* A restore cancelled after the first of its two shots (3 frames each), then continued: 3 frames kept, one shot made, all 6 out, nothing left. */
static void check_continued(const char* how, const job_log* again, const char* out, const char* leftovers) {
    long frames = count_frames(out);
    printf("  %s: %lld frames kept, %d more shot(s) made; output has %ld frames\n", how, (long long)again->resumed, again->saved, frames);
    CHECK(again->resumed == 3 && again->saved == 1, "%s: %lld frames kept and %d shots made; want 3 and 1", how, (long long)again->resumed, again->saved);
    CHECK(frames == 6, "%s has %ld frames, want 6", out, frames);
    CHECK(count_entries(leftovers) == 0, "the work folder or a temporary of %s was left in %s", out, g_work);
}

/* One field of a video's first video stream as ffprobe prints it ("codec_name": "ffv1"), or "" if it cannot say. */
static void stream_field(const char* video, const char* field, char* value, size_t capacity) {
    char command[2048];
    snprintf(command, sizeof command, "ffprobe -v error -select_streams v:0 -show_entries stream=%s -of csv=p=0 '%s'", field, video);
    FILE* p = popen(command, "r");
    if (p == NULL || fgets(value, (int)capacity, p) == NULL) value[0] = '\0';
    value[strcspn(value, "\n")] = '\0';
    if (p != NULL) pclose(p);
}

/* reel_progress_fn's view of a job_log: reel_video_restore reports the same stages. */
static int on_shot_progress(void* user, const char* stage, int64_t done, int64_t total) {
    (void)total;
    reel_progress p = { .size = sizeof p, .stage = stage, .done = done };
    return on_job_progress(user, &p);
}

/*
 * A program written for reel_video_restore cannot ask for resume: cancelled past its first shot, the
 * next call with the same options continues it (it was refused, and stayed refused, until someone
 * found and deleted the work folder). The clip cuts to black at its fourth frame: two shots.
 */
static void test_jobless_resume(reel_engine* engine, reel_restore_options* opts) {
    char clip[1200], out[1200];
    path_in(clip, sizeof clip, g_work, "two_shots.mp4");
    path_in(out, sizeof out, g_work, "jobless.mp4");
    run("ffmpeg -v error -nostdin -y -f lavfi -i testsrc=size=64x48:rate=6:duration=1 "
        "-vf \"format=gray,drawbox=c=black:t=fill:enable='gte(n,3)',noise=alls=20:allf=t\" -c:v libx264 -pix_fmt yuv420p '%s'", clip);
    job_log log = { .cancel_after_saved = 1, .resumed = -1 };
    opts->progress = on_shot_progress;
    opts->progress_user = &log;
    expect_status(reel_video_restore(engine, clip, out, opts), REEL_E_CANCELLED, "cancelled", "video_restore(cancelled after shot 1 of 2)");
    CHECK(count_entries(".jobless.mp4.reel-work") == 1, "the cancelled restore's finished shot was not kept in %s/.jobless.mp4.reel-work", g_work);
    /* Another checkpoint into the same output is refused by name: every model loaded here was "unnamed" in the record,
       and the call went on, joining the shots of two networks into one film. */
    char other_weights[1200];
    path_in(other_weights, sizeof other_weights, g_data, "weights/saoyan/DnCNN-S-25.pth");
    reel_model* other = NULL;
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, other_weights, &other), REEL_OK, NULL, "model_load(DnCNN-S-25)");
    reel_model* first = opts->denoiser;
    opts->denoiser = other;
    expect_status(reel_video_restore(engine, clip, out, opts), REEL_E_FAILED, "denoiser sha256", "video_restore(another denoiser, into the cancelled restore)");
    opts->denoiser = first;
    reel_model_free(other);
    job_log again = { .resumed = -1 };
    opts->progress_user = &again;
    expect_status(reel_video_restore(engine, clip, out, opts), REEL_OK, NULL, "video_restore(the same call again)");
    check_continued("reel_video_restore cancelled after shot 1 of 2, called again", &again, out, ".jobless.");
    opts->progress = NULL;
    opts->progress_user = NULL;
}

static void reap_every_child(int signal) {
    (void)signal;
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

/*
 * A host that ignores SIGCHLD, or that puts its own handler in place of libreel's after the first restore, hid
 * ffmpeg's exit from libreel: the restore waited for ever and could not be cancelled. Each is refused, naming it;
 * with libreel's handler back, the same call restores.
 */
static void test_child_signal(reel_engine* engine, reel_restore_options* opts, const char* clip) {
    char out[1200];
    path_in(out, sizeof out, g_work, "child_signal.mp4");
    struct sigaction libreels, ignored = { .sa_handler = SIG_IGN }, reaper = { .sa_handler = reap_every_child };
    sigaction(SIGCHLD, NULL, &libreels);
    sigaction(SIGCHLD, &ignored, NULL);
    expect_status(reel_video_restore(engine, clip, out, opts), REEL_E_FAILED, "SIGCHLD is ignored in this process", "video_restore(SIGCHLD ignored)");
    sigaction(SIGCHLD, &reaper, NULL);
    expect_status(reel_video_restore(engine, clip, out, opts), REEL_E_FAILED, "SIGCHLD's handler was replaced", "video_restore(SIGCHLD's handler replaced)");
    sigaction(SIGCHLD, &libreels, NULL);
    expect_status(reel_video_restore(engine, clip, out, opts), REEL_OK, NULL, "video_restore(libreel's SIGCHLD handler back)");
}

/* A model is its weights as loaded: the checkpoint deleted since (a temporary copy, a training loop's rewrite) still restores. */
static void test_checkpoint_gone_after_load(reel_engine* engine, reel_restore_options* opts, const char* weights, const char* clip) {
    char copy[1200], out[1200];
    path_in(copy, sizeof copy, g_work, "copied_dncnn.pth");
    path_in(out, sizeof out, g_work, "from_gone_checkpoint.mp4");
    run("cp '%s' '%s'", weights, copy);
    reel_model* loaded = NULL;
    expect_status(reel_model_load(engine, REEL_MODEL_DENOISER, copy, &loaded), REEL_OK, NULL, "model_load(a copy)");
    CHECK(remove(copy) == 0, "could not delete %s", copy);
    reel_model* first = opts->denoiser;
    opts->denoiser = loaded;
    expect_status(reel_video_restore(engine, clip, out, opts), REEL_OK, NULL, "video_restore(its checkpoint deleted after loading)");
    opts->denoiser = first;
    reel_model_free(loaded);
}

/* reel_restore_job as reel.h 0.3 declared it, what a program built then passes: save_every_s came in 0.4. */
typedef struct reel_restore_job_03 {
    int32_t size, resume, deinterlace, max_shot_frames;
    double from_s, to_s;
    const char *encoder, *preset, *frame_rate;
    int32_t crf, strict;
} reel_restore_job_03;
_Static_assert(sizeof(reel_restore_job_03) == offsetof(reel_restore_job, save_every_s), "0.4 appends save_every_s to 0.3's struct");

static void test_restore_job(const char* weights) {
    printf("restore jobs:\n");
    char clip[1200], resumed[1200], scene[1200], refused[1200];
    path_in(clip, sizeof clip, g_work, "clip.mp4");
    path_in(resumed, sizeof resumed, g_work, "resumed.mp4");
    path_in(scene, sizeof scene, g_work, "scene.mkv");
    path_in(refused, sizeof refused, g_work, "refused.mp4");

    expect_status(reel_restore_job_init_sized(NULL, (int32_t)sizeof(reel_restore_job)), REEL_E_INVALID_ARG, "job", "restore_job_init_sized(NULL)");
    expect_status(reel_restore_job_init(NULL), REEL_E_INVALID_ARG, "job", "restore_job_init(NULL)");
    expect_status((reel_restore_job_init)(NULL), REEL_E_INVALID_ARG, "job", "restore_job_init(NULL), the 0.3 function");
    reel_restore_job job;
    memset(&job, 0xA5, sizeof job);
    expect_status(reel_restore_job_init(&job), REEL_OK, NULL, "restore_job_init");
    CHECK(job.size == (int32_t)sizeof job && job.resume == 0 && job.deinterlace == REEL_DEINTERLACE_AUTO && job.max_shot_frames == 300 &&
              isnan(job.from_s) && isnan(job.to_s) && job.encoder == NULL && job.preset == NULL && job.frame_rate == NULL && job.crf == 17 &&
              job.strict == 0 && job.save_every_s == 60,
          "defaults are not reel restore's: size %d resume %d deinterlace %d max_shot_frames %d from %g to %g encoder %p preset %p frame_rate %p "
          "crf %d strict %d save_every_s %g", job.size, job.resume, job.deinterlace, job.max_shot_frames, job.from_s, job.to_s, (void*)job.encoder,
          (void*)job.preset, (void*)job.frame_rate, job.crf, job.strict, job.save_every_s);

    reel_engine* engine = NULL;
    reel_model* dncnn = load_denoiser(weights, &engine);
    if (dncnn == NULL) return;
    reel_restore_options opts;
    reel_restore_options_init(&opts);
    opts.denoiser = dncnn;
    opts.stabilize = 0;

    /* Shots of 3 frames: the 6-frame clip is two pieces, and the first is kept when the second is cancelled. */
    job.max_shot_frames = 3;
    job_log log = { .cancel_after_saved = 1, .resumed = -1 };
    expect_status(reel_video_restore_job(engine, clip, resumed, &opts, &job, on_job_progress, &log), REEL_E_CANCELLED, "cancelled",
                  "video_restore_job(cancelled after the first shot)");
    struct stat st;
    CHECK(stat(resumed, &st) != 0, "%s exists after cancelling", resumed);
    CHECK(count_entries(".resumed.mp4.reel-work") == 1, "the cancelled restore's finished shot was not kept in %s/.resumed.mp4.reel-work", g_work);
    /* reel_video_restore continues an interrupted restore only with the same settings: its shots are 300 frames, not 3. */
    expect_status(reel_video_restore(engine, clip, resumed, &opts), REEL_E_FAILED, "max-shot-frames 300 now, 3 then",
                  "video_restore(into the cancelled restore's output)");
    CHECK(strstr(reel_last_error(), ".resumed.mp4.reel-work") != NULL, "the refusal does not name the work folder: '%s'", reel_last_error());
    job_log again = { .resumed = -1 };
    job.resume = 1;
    expect_status(reel_video_restore_job(engine, clip, resumed, &opts, &job, on_job_progress, &again), REEL_OK, NULL,
                  "video_restore_job(resume)");
    check_continued("cancelled after shot 1 of 2, resumed", &again, resumed, ".resumed.");

    /* 0.5 s to 1.0 s of the 6 fps clip: its frames 3, 4 and 5, through FFV1; as a program built against reel.h 0.3 does
       it, its smaller struct filled by the function reel_restore_job_init (a macro since 0.4), which writes nothing past it. */
    struct { reel_restore_job_03 job; uint64_t after; } old;
    memset(&old, 0xA5, sizeof old);
    expect_status((reel_restore_job_init)((reel_restore_job*)&old.job), REEL_OK, NULL, "restore_job_init(the 0.3 function)");
    CHECK(old.job.size == (int32_t)sizeof old.job && old.job.crf == 17 && old.job.max_shot_frames == 300 && old.after == 0xA5A5A5A5A5A5A5A5ull,
          "a 0.3 struct filled as size %d, crf %d, max_shot_frames %d, the 8 bytes after it %s", old.job.size, old.job.crf, old.job.max_shot_frames,
          old.after == 0xA5A5A5A5A5A5A5A5ull ? "untouched" : "written");
    old.job.from_s = 0.5;
    old.job.to_s = 1.0;
    old.job.encoder = "ffv1";
    expect_status(reel_video_restore_job(engine, clip, scene, &opts, (const reel_restore_job*)&old.job, NULL, NULL), REEL_OK, NULL,
                  "video_restore_job(0.5 s to 1 s, ffv1, a 0.3 job)");
    expect_status(reel_restore_job_init_sized(&job, 10), REEL_E_INVALID_ARG, "size 10 is not the size of a reel_restore_job", "restore_job_init_sized(10)");
    char codec[64];
    stream_field(scene, "codec_name", codec, sizeof codec);
    long frames = count_frames(scene);
    printf("  from 0.5 s to 1 s through ffv1: %ld frames, codec %s\n", frames, codec);
    CHECK(frames == 3 && strcmp(codec, "ffv1") == 0, "%s has %ld frames of %s; want 3 of ffv1", scene, frames, codec);

    /* The clip's frames as a folder of PNGs (f1 … f6) at 12 frames a second, into a video; and the clip into a folder. */
    char frames_in[1200], from_frames[1200], frames_out[1200], rate[64];
    path_in(frames_in, sizeof frames_in, g_work, "frames_in");
    path_in(from_frames, sizeof from_frames, g_work, "from_frames.mp4");
    path_in(frames_out, sizeof frames_out, g_work, "frames_out");
    run("mkdir -p '%s' && ffmpeg -v error -nostdin -y -i '%s' -start_number 1 '%s/f%%d.png'", frames_in, clip, frames_in);
    reel_restore_job_init(&job);
    job.frame_rate = "12";
    expect_status(reel_video_restore_job(engine, frames_in, from_frames, &opts, &job, NULL, NULL), REEL_OK, NULL,
                  "video_restore_job(a folder of frames at 12/s)");
    stream_field(from_frames, "avg_frame_rate", rate, sizeof rate);
    frames = count_frames(from_frames);
    expect_status(reel_video_restore_job(engine, clip, frames_out, &opts, NULL, NULL, NULL), REEL_OK, NULL, "video_restore_job(into a folder)");
    int pngs = 0;
    DIR* d = opendir(frames_out);
    for (struct dirent* e; d != NULL && (e = readdir(d)) != NULL;) pngs += strstr(e->d_name, ".png") != NULL;
    if (d != NULL) closedir(d);
    printf("  a folder of 6 frames at 12/s: a video of %ld frames at %s/s; the clip into a folder: %d PNG frames\n", frames, rate, pngs);
    CHECK(frames == 6 && strcmp(rate, "12/1") == 0, "%s has %ld frames at %s; want 6 at 12/1", from_frames, frames, rate);
    CHECK(pngs == 6, "%s holds %d PNG frames, want 6", frames_out, pngs);

    struct { const char* what; int status; const char* mention; } refusals[] = {
        { "deinterlace 9", REEL_E_INVALID_ARG, "job.deinterlace 9" },
        { "size - 4", REEL_E_INVALID_ARG, "reel_restore_job_init" },
        { "size + 8", REEL_E_INVALID_ARG, "newer than this libreel.so" },
        { "max_shot_frames 0", REEL_E_INVALID_ARG, "job.max_shot_frames must be ≥ 1, got 0" },
        { "from_s -1", REEL_E_INVALID_ARG, "job.from_s" },
        { "to_s before from_s", REEL_E_INVALID_ARG, "job.to_s 0.2 is not after job.from_s 0.5" },
        { "encoder libnothing", REEL_E_IO, "libnothing" },
        { "from_s past the end", REEL_E_FAILED, "--from 5 s is at or past the end of" },
        { "encoder empty", REEL_E_INVALID_ARG, "job.encoder is empty" },
        { "crf 1000", REEL_E_INVALID_ARG, "job.crf 1000: libx264 takes 0 to 51" },
        /* Checked for a video's input too, where a folder's rate means nothing: it was accepted there. */
        { "frame_rate fast", REEL_E_INVALID_ARG, "job.frame_rate 'fast' is not a positive rate" },
        { "save_every_s -1", REEL_E_INVALID_ARG, "job.save_every_s must be ≥ 0 seconds (0: after every training step), got -1" },
        { "save_every_s NAN", REEL_E_INVALID_ARG, "job.save_every_s must be ≥ 0 seconds" },
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        reel_restore_job_init(&job);
        switch (i) {
        case 0: job.deinterlace = 9; break;
        case 1: job.size -= 4; break;
        case 2: job.size += 8; break;
        case 3: job.max_shot_frames = 0; break;
        case 4: job.from_s = -1; break;
        case 5: job.from_s = 0.5; job.to_s = 0.2; break;
        case 6: job.encoder = "libnothing"; break;
        case 7: job.from_s = 5; break;
        case 8: job.encoder = ""; break;
        case 9: job.crf = 1000; break;
        case 10: job.frame_rate = "fast"; break;
        case 11: job.save_every_s = -1; break;
        default: job.save_every_s = NAN; break;
        }
        char what[128];
        snprintf(what, sizeof what, "video_restore_job(%s)", refusals[i].what);
        expect_status(reel_video_restore_job(engine, clip, refused, &opts, &job, NULL, NULL), refusals[i].status,
                      refusals[i].mention[0] ? refusals[i].mention : NULL, what);
    }
    CHECK(count_entries(".refused.") == 0 && stat(refused, &st) != 0, "a refused restore left %s or its work folder", refused);
    reel_restore_job_init(&job);
    job.encoder = "x264\xc3";
    expect_status(reel_video_restore_job(engine, clip, refused, &opts, &job, NULL, NULL), REEL_E_INVALID_ARG,
                  "job.encoder is not valid UTF-8: x264\\xC3", "video_restore_job(encoder cut inside a UTF-8 sequence)");

    test_save_every(engine, &opts, clip);
    test_jobless_resume(engine, &opts);
    test_child_signal(engine, &opts, clip);
    test_checkpoint_gone_after_load(engine, &opts, weights, clip);
    reel_engine_free(engine);
}

int main(int argc, char** argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) snprintf(g_data, sizeof g_data, "%s", argv[++i]);
        else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc) snprintf(g_work, sizeof g_work, "%s", argv[++i]);
        else if (strcmp(argv[i], "--reel") == 0 && i + 1 < argc) snprintf(g_reel, sizeof g_reel, "%s", argv[++i]);
        else die("usage: c_api_test --data SHARED_DATA --work DIR --reel REEL");
    }
    if (!g_data[0] || !g_work[0] || !g_reel[0]) die("usage: c_api_test --data SHARED_DATA --work DIR --reel REEL");
    char weights[1200], set12[1200];
    path_in(weights, sizeof weights, g_data, "weights/kair_dncnn_25.pth");
    path_in(set12, sizeof set12, g_data, "testsets/Set12/01.png");
    require_file(weights, "test data: the shared/ folder must sit beside the repository");
    require_file(set12, "test data: the shared/ folder must sit beside the repository");
    require_file(g_reel, "the CLI is not built: cmake --build build");
    run("rm -rf '%s' && mkdir -p '%s'", g_work, g_work);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    test_version();
    test_errors(weights);
    test_dlclose();
    test_denoise(weights, set12);
    test_colorize();
    test_restore(weights);
    test_restore_job(weights);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("c_api: %.1f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (g_failures) {
        printf("c_api: %d check(s) failed\n", g_failures);
        return 1;
    }
    printf("c_api: all checks passed\n");
    return 0;
}
