/*
 * reel.h: the C ABI of Reel, the video restoration engine (libreel.so).
 *
 * Usage
 * -----
 *     #include <reel.h>
 *
 *     reel_engine* engine = NULL;
 *     reel_model* dncnn = NULL;
 *     if (reel_engine_create(REEL_BACKEND_AUTO, &engine) != REEL_OK ||
 *         reel_model_load(engine, REEL_MODEL_DENOISER, "dncnn_25.pth", &dncnn) != REEL_OK) {
 *         fprintf(stderr, "reel: %s\n", reel_last_error());
 *         ...
 *     }
 *     reel_frame in  = { noisy, width, height, noisy_stride, REEL_PIXEL_GRAY8 };
 *     reel_frame out = { clean, width, height, clean_stride, REEL_PIXEL_GRAY8 };
 *     if (reel_frame_denoise(dncnn, &in, &out) != REEL_OK) fprintf(stderr, "reel: %s\n", reel_last_error());
 *
 *     reel_restore_options opts;
 *     reel_restore_options_init(&opts);          // the defaults of `reel restore`
 *     opts.denoiser = dncnn;
 *     opts.progress = on_progress;               // return non-zero from it to cancel
 *     reel_video_restore(engine, "old.mp4", "restored.mp4", &opts);
 *     // or, with rates and the ETA: reel_video_restore_ex(engine, "old.mp4", "restored.mp4", &opts, on_progress_ex, user);
 *
 *     reel_restore_job job;                      // one scene, and what an interruption left continued
 *     reel_restore_job_init(&job);
 *     job.from_s = 95.5;
 *     job.to_s = 130;
 *     job.resume = 1;
 *     reel_video_restore_job(engine, "old.mp4", "scene.mp4", &opts, &job, on_progress_ex, user);
 *
 *     reel_model_free(dncnn);
 *     reel_engine_free(engine);
 *
 * Link with -lreel (`pkg-config --cflags --libs reel` after `cmake --install`). libreel.so is the
 * engine itself, compiled ahead of time (NativeAOT): it needs libc and libm, and ffmpeg/ffprobe on
 * PATH for video, but no .NET. It is built for x86-64-v3 (AVX2, FMA) unless built otherwise, and
 * cannot run on a CPU without those instructions. It may be dlopened; dlclose does not unload it
 * (it is linked -z nodelete: the runtime's threads go on running in its code), so it stays mapped,
 * with what it allocated, until the process exits.
 *
 * Thread safety
 * -------------
 * Every function may be called from any thread. Calls that use the same reel_model run one at
 * a time (a second caller waits); different models, and different engines, work concurrently.
 * Freeing a handle while another thread is using it is the caller's error. The progress
 * callbacks run on the thread that called reel_video_restore or reel_video_restore_ex. A thread
 * that runs a restore with the prior (options->stabilize, the default) needs a stack of at least
 * 256 KiB (glibc's default is 8 MiB; measured with a 64x48 clip: the prior's training failed on
 * 128 KiB and ran on 144 KiB); on a smaller one the restore returns REEL_E_FAILED saying so. Without
 * the prior a restore ran on 16 KiB.
 *
 * Host process
 * ------------
 * libreel.so carries the .NET runtime, which shares the process with its host:
 * - It is not fork-safe: after fork() the child must call no reel_ function (its threads are not
 *   in the child, and calls hang: reel_model_load did once the parent had used a model); exec,
 *   or work without Reel.
 * - Callbacks must return normally: a C++ exception or a longjmp out of a callback through
 *   libreel.so is undefined behaviour and leaves its locks held.
 * - Signals: the first reel_ call (reel_version included) sets SIGPIPE to ignored, replacing a
 *   host's SIGPIPE handler (a host that needs one installs it again after that call), and
 *   installs handlers for SIGSEGV, SIGFPE and SIGRTMIN; a fault in the host's own code still
 *   reaches the host's SIGSEGV or SIGFPE handler. A restore installs handlers for SIGCHLD,
 *   SIGCONT, SIGINT and SIGQUIT, which stay after it (the runtime's own); during it and after,
 *   SIGINT, SIGQUIT and SIGCHLD still run a handler the host installed before, and a SIGINT the
 *   host does not handle still ends the process, killed by the signal as without libreel, though
 *   not within raise(): the runtime's handler passes it on from its own thread, so the thread that
 *   raised it may run on for a moment. libreel sees ffmpeg end through SIGCHLD: a restore is refused
 *   (REEL_E_FAILED, naming it) where SIGCHLD is ignored, or where its handler was replaced after
 *   libreel's first restore, both of which made it wait for ever. A host's SIGCHLD handler goes in
 *   before the first restore and reaps only its own children (waitpid on their pids, never -1):
 *   one that reaps every child takes libreel's too, which no check here can see.
 * - AddressSanitizer's leak checker reports what the runtime holds for the life of the process:
 *   17 KB after a denoise, 19 KB after a restore, and under 0.5 KB more after 3 more calls on 3
 *   new threads (measured). Run with ASAN_OPTIONS=detect_leaks=0, or suppress leaks whose stack is
 *   in libreel.so (LSAN_OPTIONS=suppressions=FILE, with the line "leak:libreel.so").
 *
 * Errors and ownership
 * --------------------
 * Functions return a reel_status: REEL_OK (0) or an error code. After an error,
 * reel_last_error() returns a one-line UTF-8 message that names what was wrong (a path, an
 * argument) and what to do. The string belongs to libreel.so, lives in storage local to the
 * calling thread (at most 4 KiB), and stays valid until that thread's next reel_ call; copy it
 * to keep it. Every reel_ call except reel_last_error, reel_version and reel_status_string first
 * clears it, so after REEL_OK it is "" (also when a progress callback's own reel_ calls failed).
 * It is never NULL.
 *
 * Every string and path given to libreel.so is NUL-terminated UTF-8. One that is not (a Latin-1
 * file name) is refused with REEL_E_INVALID_ARG naming the argument, never altered into another
 * name; so is an empty path.
 *
 * Handles are opaque. The caller owns what reel_engine_create and reel_model_load return and
 * frees it with reel_engine_free / reel_model_free. Freeing an engine frees the models loaded
 * through it (freeing one of them afterwards returns REEL_E_INVALID_ARG and does no harm).
 * A freed, foreign or wrong-typed handle is detected and refused with
 * REEL_E_INVALID_ARG. Frame buffers and strings stay the caller's: libreel.so only reads or
 * writes them during the call and keeps no pointer to them.
 */
#ifndef REEL_H
#define REEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define REEL_API __attribute__((visibility("default")))
#else
#define REEL_API
#endif

#define REEL_VERSION_MAJOR 0
#define REEL_VERSION_MINOR 4
#define REEL_VERSION_PATCH 0
#define REEL_VERSION_STRING "0.4.0"
/*
 * Version of the layout of the structs and entry points below. Programs built against an older
 * reel.h keep working: 0.2 only added (reel_progress, reel_video_restore_ex), 0.3 only adds
 * (reel_deinterlace, reel_restore_job, reel_restore_job_init, reel_video_restore_job), and
 * neither changes an existing struct or function. 0.3.1 changes no layout: reel_video_restore and
 * reel_video_restore_ex continue an interrupted restore of the same output (before, they refused it).
 * 0.4 only appends save_every_s to reel_restore_job and adds reel_restore_job_init_sized, which the
 * reel_restore_job_init macro calls: a 0.4 libreel.so fills and takes a 0.3 program's smaller struct (and gives
 * that field its default).
 */
#define REEL_ABI_VERSION 4

typedef enum reel_status {
    REEL_OK = 0,
    REEL_E_INVALID_ARG = 1,   /* NULL pointer, unknown handle, bad enum value, frame that does not fit */
    REEL_E_IO = 2,            /* file missing or unwritable, media ffmpeg cannot read or write, no ffmpeg */
    REEL_E_CHECKPOINT = 3,    /* checkpoint missing, unreadable, or not the kind of model asked for */
    REEL_E_CANCELLED = 4,     /* the progress callback returned non-zero; no output was written, but a restore's finished
                                 shots stay in its work folder to be continued (see reel_restore_job) */
    REEL_E_UNSUPPORTED = 5,   /* not in this build (the CUDA backend) */
    REEL_E_RUNTIME = 6,       /* kept for 0.1 programs: the runtime a 0.1 libreel.so started; no longer returned */
    REEL_E_OUT_OF_MEMORY = 7,
    REEL_E_FAILED = 8,        /* the engine refused the work for a reason the message gives */
    REEL_E_INTERNAL = 9       /* a bug in Reel: please report the message */
} reel_status;

typedef enum reel_backend {
    REEL_BACKEND_AUTO = 0,          /* the fastest available: today the SIMD CPU backend */
    REEL_BACKEND_CPU = 1,           /* multi-threaded AVX2 CPU backend */
    REEL_BACKEND_CPU_REFERENCE = 2, /* scalar reference backend: slow, the oracle in tests */
    REEL_BACKEND_CUDA = 3           /* not built yet: REEL_E_UNSUPPORTED */
} reel_backend;

typedef enum reel_model_kind {
    REEL_MODEL_DENOISER = 1,  /* DnCNN: KAIR, cszn or SaoYan checkpoints (.pth, .safetensors) */
    REEL_MODEL_COLORIZER = 2  /* ECCV16: colorization_release_v2-9b330a0b.pth layout */
} reel_model_kind;

/* The value is the number of interleaved u8 channels per pixel. */
typedef enum reel_pixel_format {
    REEL_PIXEL_GRAY8 = 1,
    REEL_PIXEL_RGB24 = 3
} reel_pixel_format;

typedef struct reel_engine reel_engine;
typedef struct reel_model reel_model;

/* A caller-owned image: row y starts at pixels + y * stride; stride >= width * channels. */
typedef struct reel_frame {
    uint8_t* pixels;
    int32_t width;
    int32_t height;
    int32_t stride;   /* bytes */
    int32_t format;   /* reel_pixel_format */
} reel_frame;

typedef struct reel_model_info {
    int32_t kind;      /* reel_model_kind */
    int32_t channels;  /* 1: takes REEL_PIXEL_GRAY8 frames, 3: REEL_PIXEL_RGB24 (the colorizer says 1: it reads L only) */
} reel_model_info;

/*
 * Progress of a restore: stage is "process" (decode, denoise, colorize), "stabilize" (the prior's
 * training), "encode", "saved" (a shot's piece kept), "join", "resume", "note" or "warning" (what
 * the decoding lost: frames, a size change, another duration) (UTF-8, valid during the call only);
 * done of total frames, total 0 when the container does not say.
 * Return 0 to go on, non-zero to cancel: reel_video_restore then returns REEL_E_CANCELLED soon
 * after (at the next frame or training step) and leaves no output file (the prior's training of the shot
 * in progress is kept in the work folder below, for the next call to go on from).
 */
typedef int (*reel_progress_fn)(void* user, const char* stage, int64_t done, int64_t total);

/*
 * Progress of a restore with its measurements, for reel_video_restore_ex: the fields of
 * `reel restore --progress json` (README, "Progress as JSON"). A value that does not apply or is
 * not known yet is NAN (doubles) or 0 (shot, epoch, epochs). The pointers are valid during the
 * call only. Later versions only append fields: read one past size only if size covers it.
 */
typedef struct reel_progress {
    int32_t size;        /* sizeof(reel_progress) as the libreel.so that filled it knows it */
    int32_t shot;        /* 1-based shot (piece) the frames belong to; 0: none */
    int32_t epoch;       /* the prior's 1-based training epoch (stabilize only); 0: none */
    int32_t epochs;      /* the prior's epochs per shot (stabilize only); 0: none */
    const char* stage;   /* as for reel_progress_fn */
    const char* detail;  /* UTF-8 words for people, e.g. a note's text; "" if none */
    int64_t done;        /* frames done; for stabilize, the training done in frames' worth (frame-epochs run / epochs) */
    int64_t total;       /* 0 when unknown */
    double rate;         /* frames per second of this stage's own work in this run (stabilize: a frame is all its epochs) */
    double eta_s;        /* seconds until the whole restore is done, the prior's remaining epochs included */
    double loss;         /* the prior's training loss at this step (stabilize only) */
    double elapsed_s;    /* seconds since the restore started */
} reel_progress;

/* Return 0 to go on, non-zero to cancel, as for reel_progress_fn. */
typedef int (*reel_progress_ex_fn)(void* user, const reel_progress* progress);

typedef struct reel_restore_options {
    reel_model* denoiser;      /* NULL: no denoising */
    reel_model* colorizer;     /* NULL: the output stays gray */
    float temperature;         /* colorizer softmax temperature (> 0; 1 reproduces the released port) */
    int32_t stabilize;         /* non-zero: Deep Video Prior per shot; 0: frames go straight to the encoder */
    int32_t epochs;            /* prior training epochs per shot (>= 1; > 5 with irt); 0: reel restore's default
                                  for the run (25 with a colorizer, 50 without) */
    int32_t irt;               /* 1: iteratively reweighted training (two heads); 0: plain L1 (one head);
                                  -1: reel restore's default for the run (L1 with a colorizer, IRT without);
                                  any other value is REEL_E_INVALID_ARG */
    int32_t memory_mb;         /* what the restore may hold beyond the networks' fixed memory: working memory for a frame
                                  and frames waiting for the prior (the rest spill to disk); larger frames are refused.
                                  Default: half the memory the process may use */
    reel_progress_fn progress; /* may be NULL */
    void* progress_user;       /* passed to progress as is */
} reel_restore_options;

/* How an interlaced input is read (`reel restore --deinterlace`). Since 0.3. */
typedef enum reel_deinterlace {
    REEL_DEINTERLACE_AUTO = 0,  /* ffmpeg's bwdif on the frames flagged interlaced, unless its idet finds them all whole
                                   (a film's PAL transfer); timestamps kept (the default) */
    REEL_DEINTERLACE_ALL = 1,   /* every frame (streams that carry no per-frame flags) */
    REEL_DEINTERLACE_OFF = 2,   /* frames as decoded, combing included */
    REEL_DEINTERLACE_IVTC = 3   /* telecined NTSC film (3:2 pulldown) back to its own frames: 4 of every 5, at 4/5 of the rate */
} reel_deinterlace;

/*
 * What reel_video_restore_job adds to reel_restore_options: which stretch of the input, how it is
 * read and encoded, and whether an interrupted restore goes on: `reel restore`'s --from/--to,
 * --deinterlace, --encoder/--crf/--preset, --max-shot-frames, --strict and --resume. Start from
 * reel_restore_job_init. Later versions only append fields and read only what size covers, so a
 * program built against this reel.h works with them (0.4 fills and reads a 0.3 program's struct, save_every_s at
 * its default); a program built against this reel.h needs a libreel.so at least as new: an older one lacks
 * reel_restore_job_init_sized, which reel_restore_job_init calls, so the program does not start (or, bound lazily,
 * stops with "symbol lookup error" at that call), and it refuses a larger struct given to it (REEL_E_INVALID_ARG). Since 0.3.
 *
 * A restore keeps its finished shots in a hidden folder beside the output (.old.mp4.reel-work for
 * old.mp4) until the output is in place, with the prior's training of the shot in progress, saved every
 * save_every_s (a minute by default) and when a cancel stops it. After a cancel, a crash or an error past the first shot (or in it,
 * once its training was saved) that folder stays, and reel_video_restore_job into the same output is refused (REEL_E_FAILED,
 * naming the folder) unless resume is set, or the folder is deleted to start over;
 * reel_video_restore and reel_video_restore_ex continue it as resume does. Messages about these
 * fields name them as `reel restore` does: "--resume" is resume here, "--from" from_s, "--save-every"
 * save_every_s.
 */
typedef struct reel_restore_job {
    int32_t size;             /* sizeof(reel_restore_job): reel_restore_job_init sets it */
    int32_t resume;           /* non-zero: continue the interrupted restore into this output, from its last finished
                                 shot; the input and every option must be as they were (else REEL_E_FAILED, naming
                                 what differs). Nothing to continue: a fresh restore. Default 0 */
    int32_t deinterlace;      /* reel_deinterlace; default REEL_DEINTERLACE_AUTO */
    int32_t max_shot_frames;  /* longest shot one prior trains on (longer ones are split), and so the most an
                                 interruption can lose; >= 1, default 300 */
    double from_s;            /* restore from this time of the input (seconds, >= 0); NAN (default): from the start */
    double to_s;              /* up to this time (after from_s); NAN (default): to the end. The output starts at zero,
                                 its audio, subtitles and chapters cut alike */
    const char* encoder;      /* an ffmpeg video encoder ("libx265", "ffv1", ...); NULL (default): libx264, or
                                 libvpx-vp9 for a .webm output. One this ffmpeg lacks fails before any frame */
    const char* preset;       /* the x264/x265 speed preset; NULL (default): "medium" */
    const char* frame_rate;   /* the rate of a folder of frames given as input ("24", "24000/1001"); NULL (default): 25.
                                 A video keeps its own */
    int32_t crf;              /* constant quality for x264/x265/VP9/AV1 (lower is better); default 17 */
    int32_t strict;           /* non-zero: a loss the decoding reports (frames that did not decode, a size change,
                                 another duration) is an error (REEL_E_FAILED) instead of a "warning"; default 0 */
    double save_every_s;      /* seconds between saves of the shot's prior training in the work folder, so a crash loses
                                 at most that much of it (a cancel saves first and loses none); >= 0, 0: after every
                                 training step; default 60. Changing it does not stop a resume. Since 0.4 */
} reel_restore_job;

/* This header's REEL_VERSION_STRING as built into libreel.so ("0.4.0"). Never fails. */
REEL_API const char* reel_version(void);

/* The enumerator's name ("REEL_E_IO"), or "unknown status" for another value. Static storage. */
REEL_API const char* reel_status_string(int status);

/* The calling thread's message for its last failed reel_ call, or "" (see "Errors and ownership"). */
REEL_API const char* reel_last_error(void);

/* A new engine on the given backend; *engine is NULL on failure. */
REEL_API int reel_engine_create(reel_backend backend, reel_engine** engine);

/* Frees the engine and every model loaded through it. NULL is a no-op. */
REEL_API int reel_engine_free(reel_engine* engine);

/* Loads a checkpoint as the given kind of model for this engine's backend; *model is NULL on failure. */
REEL_API int reel_model_load(reel_engine* engine, reel_model_kind kind, const char* checkpoint_path, reel_model** model);

/* NULL is a no-op. */
REEL_API int reel_model_free(reel_model* model);

REEL_API int reel_model_describe(const reel_model* model, reel_model_info* info);

/*
 * One frame through a denoiser. in's format must match the model (reel_model_info.channels);
 * out must have in's width, height and format, with its own stride. out may be in (in place).
 * Output pixels are clamped to [0, 255] and rounded, exactly as `reel denoise` writes them.
 * A frame whose feature maps would take more than half the host's free memory goes through in
 * tiles, giving the same pixels.
 */
REEL_API int reel_frame_denoise(reel_model* denoiser, const reel_frame* in, reel_frame* out);

/*
 * One frame through a colorizer, as `reel colorize` does it. in is GRAY8 or RGB24 (only its
 * luminance is used); out must be RGB24 of in's size. temperature > 0; 1 is the default.
 */
REEL_API int reel_frame_colorize(reel_model* colorizer, float temperature, const reel_frame* in, reel_frame* out);

/* Fills options with the defaults of `reel restore` (no models, no callback). */
REEL_API int reel_restore_options_init(reel_restore_options* options);

/*
 * Fills the first size bytes of job with the defaults of `reel restore`, and job->size with size: sizeof(reel_restore_job)
 * of the reel.h a program was built with, one of the sizes a reel.h has had (else REEL_E_INVALID_ARG). Since 0.4;
 * reel_restore_job_init below calls it with the size of this header's struct.
 */
REEL_API int reel_restore_job_init_sized(reel_restore_job* job, int32_t size);

/*
 * Fills job with the defaults of `reel restore` and its size. Since 0.3. From 0.4 a macro for
 * reel_restore_job_init_sized(job, sizeof(reel_restore_job)), so that the library knows how large the caller's struct
 * is. The function of that name remains for programs built against 0.3, and fills the 0.3 struct only (size 64): one
 * that reaches the function instead of the macro (through its address, dlsym, or a binding that cannot expand C
 * macros) gets a 0.3 job, whose save_every_s is not read. Bindings call reel_restore_job_init_sized with their struct's size.
 */
REEL_API int reel_restore_job_init(reel_restore_job* job);
#define reel_restore_job_init(job) reel_restore_job_init_sized((job), (int32_t)sizeof(reel_restore_job))

/*
 * A whole video file: decode -> denoise -> colorize -> Deep Video Prior -> H.264, audio copied
 * (needs ffmpeg and ffprobe on PATH). The models must come from this engine. output is written
 * to a temporary file and renamed into place only on success. Since 0.3 the input may also be a
 * folder of frames (PNG, JPEG, TIFF, DPX, ..., in the order of the numbers in their names, at 25
 * frames a second unless reel_restore_job.frame_rate says otherwise) and the output a new folder
 * for PNG frames (a path without a video extension), as with `reel restore`. An interlaced input
 * is deinterlaced as it is decoded, as `reel restore --deinterlace auto` does; the whole input is
 * restored. An interrupted restore into the same output (cancelled, crashed or failed past its
 * first shot) is continued from its last finished shot when the input and options are the same,
 * so calling again after REEL_E_CANCELLED finishes the work; with others it is refused
 * (REEL_E_FAILED), naming what differs and the work folder to delete to start over.
 */
REEL_API int reel_video_restore(reel_engine* engine, const char* input_path, const char* output_path,
                                const reel_restore_options* options);

/*
 * reel_video_restore, with progress reported to `progress` (may be NULL) as reel_progress: rates
 * and the ETA as well as frames. options->progress, if set, is called too, before it; either
 * returning non-zero cancels. Since 0.2 (REEL_ABI_VERSION 2).
 */
REEL_API int reel_video_restore_ex(reel_engine* engine, const char* input_path, const char* output_path,
                                   const reel_restore_options* options, reel_progress_ex_fn progress, void* progress_user);

/*
 * reel_video_restore_ex as job says (NULL: reel_restore_job_init's defaults, which restore as
 * reel_video_restore_ex does). job and its strings are read during the call only. A bad field is
 * REEL_E_INVALID_ARG naming it; a stretch that starts at or past the input's end fails before any
 * frame is restored (REEL_E_FAILED, giving the input's length), and one whose to_s lies past it ends
 * with the input; an encoder or preset this ffmpeg lacks or refuses, or a codec the output's container
 * cannot hold, fails before any frame is restored too (REEL_E_IO, with ffmpeg's reason). Since 0.3.
 */
REEL_API int reel_video_restore_job(reel_engine* engine, const char* input_path, const char* output_path,
                                    const reel_restore_options* options, const reel_restore_job* job,
                                    reel_progress_ex_fn progress, void* progress_user);

#ifdef __cplusplus
}
#endif

#endif /* REEL_H */
