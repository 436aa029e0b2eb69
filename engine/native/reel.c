/*
 * libreel.so: hosts the .NET runtime and forwards the C ABI of reel.h to the managed entry
 * points in Reel.Engine.dll (engine/Interop/NativeExports.cs). NativeAOT is not available to
 * us (DESIGN §4), so the runtime is started through nethost/hostfxr, once, on first use.
 */
#define _GNU_SOURCE
#include "reel.h"

#include <coreclr_delegates.h>
#include <dlfcn.h>
#include <hostfxr.h>
#include <nethost.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERROR_CAPACITY 4096
#define PATH_CAPACITY 4096

/* The managed entry points; the same order and types as NativeExportTable in engine/Interop. */
struct reel_exports {
    int32_t (*engine_create)(int32_t backend, reel_engine** engine);
    int32_t (*engine_free)(reel_engine* engine);
    int32_t (*model_load)(reel_engine* engine, int32_t kind, const char* path, reel_model** model);
    int32_t (*model_free)(reel_model* model);
    int32_t (*model_describe)(const reel_model* model, reel_model_info* info);
    int32_t (*frame_denoise)(reel_model* model, const reel_frame* in, reel_frame* out);
    int32_t (*frame_colorize)(reel_model* model, float temperature, const reel_frame* in, reel_frame* out);
    int32_t (*restore_options_init)(reel_restore_options* options);
    int32_t (*video_restore)(reel_engine* engine, const char* input, const char* output, const reel_restore_options* options);
    int32_t (*video_restore_ex)(reel_engine* engine, const char* input, const char* output, const reel_restore_options* options,
                                reel_progress_ex_fn progress, void* progress_user);
};

typedef int32_t (*bind_fn)(struct reel_exports* table, int32_t table_bytes, int32_t abi_version,
                           void (*set_last_error)(const char* utf8));

static __thread char t_last_error[ERROR_CAPACITY];

static pthread_once_t g_start_once = PTHREAD_ONCE_INIT;
static int g_start_status = REEL_E_RUNTIME;
static char g_start_error[ERROR_CAPACITY];
static struct reel_exports g_exports;

/* Copies a message into the calling thread's buffer, cut at a UTF-8 character boundary if too long. */
static void set_last_error(const char* utf8) {
    size_t n = strlen(utf8);
    if (n >= ERROR_CAPACITY) {
        n = ERROR_CAPACITY - 1;
        while (n > 0 && ((unsigned char)utf8[n] & 0xC0) == 0x80) n--;
    }
    memcpy(t_last_error, utf8, n);
    t_last_error[n] = '\0';
}

static int fail(int status, const char* format, ...) {
    char message[ERROR_CAPACITY];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    set_last_error(message);
    return status;
}

/* hostfxr says why it failed through this writer, in several multi-line messages: join them on one line. */
static char g_hostfxr_message[ERROR_CAPACITY];
static void hostfxr_error(const char_t* message) {
    size_t n = strlen(g_hostfxr_message);
    if (n > 0 && n + 1 < sizeof g_hostfxr_message) g_hostfxr_message[n++] = ' ';
    for (const char* c = message; *c != '\0' && n + 1 < sizeof g_hostfxr_message; c++) {
        int space = *c == '\n' || *c == '\r' || *c == '\t';
        if (space && (n == 0 || g_hostfxr_message[n - 1] == ' ')) continue;
        g_hostfxr_message[n++] = space ? ' ' : *c;
    }
    g_hostfxr_message[n] = '\0';
}

/* dir/name into out; fails (REEL_E_RUNTIME) rather than cut a path short. */
static int join(char* out, size_t capacity, const char* dir, const char* name) {
    if ((size_t)snprintf(out, capacity, "%s/%s", dir, name) >= capacity)
        return fail(REEL_E_RUNTIME, "path too long: %s/%s", dir, name);
    return REEL_OK;
}

static int has_engine(const char* dir) {
    char path[PATH_CAPACITY];
    return join(path, sizeof path, dir, "Reel.Engine.dll") == REEL_OK && access(path, R_OK) == 0;
}

/* The folder holding Reel.Engine.dll, by the order reel.h states; the error lists every place tried. */
static int find_engine_dir(char* dir, size_t capacity) {
    const char* env = getenv("REEL_ENGINE_DIR");
    if (env != NULL && env[0] != '\0') {
        if (!has_engine(env))
            return fail(REEL_E_RUNTIME, "REEL_ENGINE_DIR is %s but it holds no Reel.Engine.dll; "
                        "point it at engine/bin/Release/net10.0 after `dotnet build Engine.sln -c Release`", env);
        snprintf(dir, capacity, "%s", env);
        return REEL_OK;
    }
    char beside[PATH_CAPACITY] = "";
    Dl_info self;
    if (dladdr((void*)&reel_version, &self) != 0 && self.dli_fname != NULL) {
        snprintf(beside, sizeof beside, "%s", self.dli_fname);
        char* slash = strrchr(beside, '/');
        if (slash != NULL) *slash = '\0'; else snprintf(beside, sizeof beside, ".");
        if (has_engine(beside)) {
            snprintf(dir, capacity, "%s", beside);
            return REEL_OK;
        }
    }
    if (has_engine(REEL_ENGINE_BUILD_DIR)) {
        snprintf(dir, capacity, "%s", REEL_ENGINE_BUILD_DIR);
        return REEL_OK;
    }
    return fail(REEL_E_RUNTIME, "Reel.Engine.dll not found in $REEL_ENGINE_DIR (unset), beside libreel.so (%s) or in the "
                "build folder %s: run `dotnet build Engine.sln -c Release`, or set REEL_ENGINE_DIR", beside, REEL_ENGINE_BUILD_DIR);
}

static int load_hostfxr(const char* engine_dll, hostfxr_initialize_for_runtime_config_fn* init,
                        hostfxr_get_runtime_delegate_fn* get_delegate, hostfxr_close_fn* close_context,
                        hostfxr_set_error_writer_fn* set_writer) {
    char path[PATH_CAPACITY];
    size_t size = sizeof path;
    struct get_hostfxr_parameters params = { sizeof params, engine_dll, NULL };
    int rc = get_hostfxr_path(path, &size, &params);
    if (rc != 0) {
        /* No $DOTNET_ROOT and no registered global install: try the SDK libreel.so was built with. */
        params.dotnet_root = REEL_DOTNET_ROOT;
        size = sizeof path;
        rc = get_hostfxr_path(path, &size, &params);
    }
    if (rc != 0)
        return fail(REEL_E_RUNTIME, "the .NET runtime was not found (get_hostfxr_path: 0x%x; also tried %s): "
                    "install .NET 10 or set DOTNET_ROOT", (unsigned)rc, REEL_DOTNET_ROOT);
    void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) return fail(REEL_E_RUNTIME, "cannot load %s: %s", path, dlerror());
    *init = (hostfxr_initialize_for_runtime_config_fn)dlsym(lib, "hostfxr_initialize_for_runtime_config");
    *get_delegate = (hostfxr_get_runtime_delegate_fn)dlsym(lib, "hostfxr_get_runtime_delegate");
    *close_context = (hostfxr_close_fn)dlsym(lib, "hostfxr_close");
    *set_writer = (hostfxr_set_error_writer_fn)dlsym(lib, "hostfxr_set_error_writer");
    if (*init == NULL || *get_delegate == NULL || *close_context == NULL || *set_writer == NULL)
        return fail(REEL_E_RUNTIME, "%s lacks the hosting API of .NET 6 or later; install .NET 10", path);
    return REEL_OK;
}

static int start_runtime_once(void) {
    char dir[PATH_CAPACITY], dll[PATH_CAPACITY], config[PATH_CAPACITY];
    int status = find_engine_dir(dir, sizeof dir);
    if (status == REEL_OK) status = join(dll, sizeof dll, dir, "Reel.Engine.dll");
    if (status == REEL_OK) status = join(config, sizeof config, dir, "Reel.Engine.runtimeconfig.json");
    if (status != REEL_OK) return status;
    if (access(config, R_OK) != 0)
        return fail(REEL_E_RUNTIME, "%s is missing: Reel.Engine.dll must be built with EnableDynamicLoading (its csproj does)", config);

    hostfxr_initialize_for_runtime_config_fn init = NULL;
    hostfxr_get_runtime_delegate_fn get_delegate = NULL;
    hostfxr_close_fn close_context = NULL;
    hostfxr_set_error_writer_fn set_writer = NULL;
    status = load_hostfxr(dll, &init, &get_delegate, &close_context, &set_writer);
    if (status != REEL_OK) return status;

    set_writer(hostfxr_error);
    hostfxr_handle context = NULL;
    /* Positive codes mean success too: a runtime already running in this process is shared. */
    int32_t rc = init(config, NULL, &context);
    load_assembly_and_get_function_pointer_fn load = NULL;
    if (rc >= 0 && context != NULL)
        rc = get_delegate(context, hdt_load_assembly_and_get_function_pointer, (void**)&load);
    if (context != NULL) close_context(context);
    set_writer(NULL);
    if (rc < 0 || load == NULL)
        return fail(REEL_E_RUNTIME, "cannot start the .NET runtime for %s (hostfxr: 0x%x) %s", config, (unsigned)rc, g_hostfxr_message);

    bind_fn bind = NULL;
    rc = load(dll, "Reel.Engine.Interop.NativeExports, Reel.Engine", "Bind", UNMANAGEDCALLERSONLY_METHOD, NULL, (void**)&bind);
    if (rc != 0 || bind == NULL)
        return fail(REEL_E_RUNTIME, "cannot bind Reel.Engine.Interop.NativeExports.Bind in %s (0x%x): is it an older Reel.Engine.dll? rebuild it",
                    dll, (unsigned)rc);
    return bind(&g_exports, (int32_t)sizeof g_exports, REEL_ABI_VERSION, set_last_error);
}

static void start_runtime(void) {
    g_start_status = start_runtime_once();
    if (g_start_status != REEL_OK) snprintf(g_start_error, sizeof g_start_error, "%s", t_last_error);
}

/* Every forwarding call starts here: clears the thread's last error and starts the runtime once. */
static int ready(void) {
    t_last_error[0] = '\0';
    pthread_once(&g_start_once, start_runtime);
    if (g_start_status != REEL_OK) set_last_error(g_start_error);
    return g_start_status;
}

const char* reel_version(void) { return REEL_VERSION_STRING; }

const char* reel_status_string(int status) {
    switch (status) {
    case REEL_OK: return "REEL_OK";
    case REEL_E_INVALID_ARG: return "REEL_E_INVALID_ARG";
    case REEL_E_IO: return "REEL_E_IO";
    case REEL_E_CHECKPOINT: return "REEL_E_CHECKPOINT";
    case REEL_E_CANCELLED: return "REEL_E_CANCELLED";
    case REEL_E_UNSUPPORTED: return "REEL_E_UNSUPPORTED";
    case REEL_E_RUNTIME: return "REEL_E_RUNTIME";
    case REEL_E_OUT_OF_MEMORY: return "REEL_E_OUT_OF_MEMORY";
    case REEL_E_FAILED: return "REEL_E_FAILED";
    case REEL_E_INTERNAL: return "REEL_E_INTERNAL";
    default: return "unknown status";
    }
}

const char* reel_last_error(void) { return t_last_error; }

int reel_engine_create(reel_backend backend, reel_engine** engine) {
    if (engine != NULL) *engine = NULL;
    int status = ready();
    return status != REEL_OK ? status : g_exports.engine_create(backend, engine);
}

int reel_engine_free(reel_engine* engine) {
    if (engine == NULL) { /* a no-op, and no reason to start the runtime */
        t_last_error[0] = '\0';
        return REEL_OK;
    }
    int status = ready();
    return status != REEL_OK ? status : g_exports.engine_free(engine);
}

int reel_model_load(reel_engine* engine, reel_model_kind kind, const char* checkpoint_path, reel_model** model) {
    if (model != NULL) *model = NULL;
    int status = ready();
    return status != REEL_OK ? status : g_exports.model_load(engine, kind, checkpoint_path, model);
}

int reel_model_free(reel_model* model) {
    if (model == NULL) { /* a no-op, and no reason to start the runtime */
        t_last_error[0] = '\0';
        return REEL_OK;
    }
    int status = ready();
    return status != REEL_OK ? status : g_exports.model_free(model);
}

int reel_model_describe(const reel_model* model, reel_model_info* info) {
    int status = ready();
    return status != REEL_OK ? status : g_exports.model_describe(model, info);
}

int reel_frame_denoise(reel_model* denoiser, const reel_frame* in, reel_frame* out) {
    int status = ready();
    return status != REEL_OK ? status : g_exports.frame_denoise(denoiser, in, out);
}

int reel_frame_colorize(reel_model* colorizer, float temperature, const reel_frame* in, reel_frame* out) {
    int status = ready();
    return status != REEL_OK ? status : g_exports.frame_colorize(colorizer, temperature, in, out);
}

int reel_restore_options_init(reel_restore_options* options) {
    int status = ready();
    return status != REEL_OK ? status : g_exports.restore_options_init(options);
}

int reel_video_restore(reel_engine* engine, const char* input_path, const char* output_path,
                       const reel_restore_options* options) {
    int status = ready();
    return status != REEL_OK ? status : g_exports.video_restore(engine, input_path, output_path, options);
}

int reel_video_restore_ex(reel_engine* engine, const char* input_path, const char* output_path,
                          const reel_restore_options* options, reel_progress_ex_fn progress, void* progress_user) {
    int status = ready();
    return status != REEL_OK ? status : g_exports.video_restore_ex(engine, input_path, output_path, options, progress, progress_user);
}
