// CPU emulation of the CUDA execution model, so the kernels in kernels/*.cu compile with g++
// and run in tests on machines without a GPU.
//
// Each CUDA thread of a block is a fiber with its own stack; blocks run one after
// another on the calling OS thread. __syncthreads() parks the fiber and returns to the block's
// scheduler, which resumes every other live fiber until it reaches the barrier too, so
// shared-memory reductions and tiled transposes behave as on the GPU. A barrier that only some
// threads reach (the others have returned) is reported as an error: on the GPU it is undefined.
// __shared__ variables become thread_local statics: one copy per OS thread, which is one copy
// per block because a block's fibers all run on the same OS thread.
//
// A kernel with no barrier can run without fibers (launch_plain): its threads are then plain
// calls one after another, hundreds of times faster; a barrier reached that way is an error.
//
// Fast-math intrinsics map to their accurate libm counterparts, so emulation checks the
// algorithm, not the hardware's approximation error (documented in docs/cuda.md).
#pragma once
#if defined(__x86_64__) && defined(__ELF__) && !defined(__ILP32__)
#define REEL_EMU_OWN_SWITCH 1
#else
#include <ucontext.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace reel_emu {

#if defined(REEL_EMU_OWN_SWITCH)
// A fiber switch of our own: ucontext's swapcontext saves the signal mask with a system call at every
// switch, and a tiled kernel switches twice per thread per barrier (the bf16 layout transposes made a
// training step 30× slower than one without them). This one saves only what the System V ABI asks a
// callee to keep (rbx, rbp, r12–r15; the stack pointer) and swaps stacks: *from gets this stack's
// pointer, `to` is the one to resume. Weak and hidden: every translation unit may carry it, none exports it;
// between .pushsection and .popsection, so the compiler's idea of the current section survives it. System V
// x86-64 on ELF only (other ABIs keep other registers); no CFI, so a debugger cannot unwind through a switch,
// and no shadow-stack support (a build with CET shadow stacks on would need ucontext).
extern "C" void reel_emu_switch(void** from, void* to);
asm(R"(
    .pushsection .text, "ax", @progbits
    .weak reel_emu_switch
    .hidden reel_emu_switch
    .type reel_emu_switch, @function
reel_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size reel_emu_switch, .-reel_emu_switch
    .popsection
)");
#endif

struct Fiber {
#if defined(REEL_EMU_OWN_SWITCH)
    void* sp = nullptr;  // the saved stack pointer of a parked fiber (reel_emu_switch's frame on top)
#else
    ucontext_t context;
#endif
    dim3 thread_idx;
    bool done = false;
    bool at_barrier = false;
    std::unique_ptr<char[]> stack;  // uninitialized: zeroing 64 KiB per thread per launch dominated small launches
};

constexpr size_t FiberStackBytes = 64 * 1024;

inline thread_local dim3 block_idx, block_dim, grid_dim;
inline thread_local Fiber* current_fiber = nullptr;
#if defined(REEL_EMU_OWN_SWITCH)
inline thread_local void* scheduler_sp = nullptr;
#else
inline thread_local ucontext_t* scheduler_context = nullptr;
#endif
inline thread_local const std::function<void()>* current_body = nullptr;
// The first error of the current launch (barrier divergence, bad geometry); empty when fine.
inline thread_local std::string launch_error;

// Parks the current fiber and resumes the block's scheduler.
inline void yield_to_scheduler() {
#if defined(REEL_EMU_OWN_SWITCH)
    reel_emu_switch(&current_fiber->sp, scheduler_sp);
#else
    swapcontext(&current_fiber->context, scheduler_context);
#endif
}

// Where a fiber starts: the thread's body, then back to the scheduler for good.
[[noreturn]] inline void fiber_entry() {
    (*current_body)();
    current_fiber->done = true;
    yield_to_scheduler();
    __builtin_unreachable();
}

// The one "fiber" of plain launches: it carries threadIdx and never switches.
inline Fiber& plain_fiber() {
    static thread_local Fiber fiber;
    return fiber;
}
inline thread_local bool barrier_in_plain_launch = false;

inline void syncthreads() {
    if (!current_fiber) return;
    if (current_fiber == &plain_fiber()) {
        barrier_in_plain_launch = true;
        return;
    }
    current_fiber->at_barrier = true;
    yield_to_scheduler();
}

#if defined(REEL_EMU_OWN_SWITCH)
// A fresh fiber's stack as reel_emu_switch leaves a parked one: six zeroed callee-saved registers, then
// fiber_entry as the return address, then a null one above it, so fiber_entry starts with the stack
// aligned as after a call (16-byte boundary + 8).
inline void prepare_fiber(Fiber& f, dim3 thread_idx) {
    f.thread_idx = thread_idx;
    f.done = false;
    f.at_barrier = false;
    auto top = reinterpret_cast<uintptr_t>(f.stack.get() + FiberStackBytes) & ~uintptr_t(15);
    auto* frame = reinterpret_cast<void**>(top) - 8;
    for (int i = 0; i < 6; ++i) frame[i] = nullptr;
    frame[6] = reinterpret_cast<void*>(&fiber_entry);
    frame[7] = nullptr;
    f.sp = frame;
}
#else
// Kept out of line: getcontext returns twice, which would make the caller's loop counters unsafe.
[[gnu::noinline]] inline void prepare_fiber(Fiber& f, dim3 thread_idx) {
    f.thread_idx = thread_idx;
    f.done = false;
    f.at_barrier = false;
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = FiberStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiber_entry, 0);
}
#endif

// Runs one block: every thread as a fiber, phase by phase between barriers.
inline bool run_block(Fiber* fibers, size_t count, const std::function<void()>& body) {
#if !defined(REEL_EMU_OWN_SWITCH)
    static thread_local ucontext_t scheduler;
    scheduler_context = &scheduler;
#endif
    current_body = &body;
    unsigned i = 0;
    for (unsigned tz = 0; tz < block_dim.z; ++tz)
        for (unsigned ty = 0; ty < block_dim.y; ++ty)
            for (unsigned tx = 0; tx < block_dim.x; ++tx) prepare_fiber(fibers[i++], dim3(tx, ty, tz));
    for (;;) {
        for (size_t k = 0; k < count; ++k) {
            Fiber& f = fibers[k];
            if (f.done) continue;
            f.at_barrier = false;
            current_fiber = &f;
#if defined(REEL_EMU_OWN_SWITCH)
            reel_emu_switch(&scheduler_sp, f.sp);
#else
            swapcontext(&scheduler, &f.context);
#endif
        }
        current_fiber = nullptr;
        size_t done = 0;
        for (size_t k = 0; k < count; ++k) done += fibers[k].done;
        if (done == count) return true;
        if (done > 0) {
            char text[200];
            std::snprintf(text, sizeof text,
                          "__syncthreads reached by %zu of %zu threads of block (%u,%u,%u); the others had returned",
                          count - done, count, block_idx.x, block_idx.y, block_idx.z);
            launch_error = text;
            return false;
        }
    }
}

// Fibers and their stacks, kept per OS thread and reused by every later launch.
inline std::vector<Fiber>& fiber_pool() {
    static thread_local std::vector<Fiber> pool;
    return pool;
}

// CUDA's launch limits; false (reason in launch_error) where the GPU would refuse the launch.
inline bool check_geometry(dim3 grid, dim3 block) {
    launch_error.clear();
    unsigned long long threads = 1ull * block.x * block.y * block.z;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0 || threads > 1024 || block.z > 64 ||
        grid.y > 65535 || grid.z > 65535) {
        char text[200];
        std::snprintf(text, sizeof text, "invalid launch geometry grid (%u,%u,%u) block (%u,%u,%u)", grid.x, grid.y,
                      grid.z, block.x, block.y, block.z);
        launch_error = text;
        return false;
    }
    grid_dim = grid;
    block_dim = block;
    return true;
}

// Runs a kernel without barriers: each thread a plain call, in thread order, block after block.
template <class Kernel, class... Args>
bool launch_plain(dim3 grid, dim3 block, Kernel kernel, Args... args) {
    if (!check_geometry(grid, block)) return false;
    Fiber& plain = plain_fiber();
    barrier_in_plain_launch = false;
    current_fiber = &plain;
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx) {
                block_idx = dim3(bx, by, bz);
                for (unsigned tz = 0; tz < block.z; ++tz)
                    for (unsigned ty = 0; ty < block.y; ++ty)
                        for (unsigned tx = 0; tx < block.x; ++tx) {
                            plain.thread_idx = dim3(tx, ty, tz);
                            kernel(args...);
                        }
            }
    current_fiber = nullptr;
    if (barrier_in_plain_launch) {
        launch_error = "the kernel reached __syncthreads in a launch without fibers: list it among the kernels with barriers";
        return false;
    }
    return true;
}

// Runs kernel(args...) over the grid with CUDA's launch limits checked first, every thread a
// fiber so __syncthreads synchronizes. Returns false (reason in launch_error) where the GPU would
// have refused or misbehaved.
template <class Kernel, class... Args>
bool launch(dim3 grid, dim3 block, Kernel kernel, Args... args) {
    if (!check_geometry(grid, block)) return false;
    unsigned long long threads = 1ull * block.x * block.y * block.z;
    std::vector<Fiber>& pool = fiber_pool();
    if (pool.size() < threads) {
        size_t old = pool.size();
        pool.resize(threads);
        for (size_t i = old; i < threads; ++i) pool[i].stack.reset(new char[FiberStackBytes]);
    }
    std::function<void()> body = [&] { kernel(args...); };
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx) {
                block_idx = dim3(bx, by, bz);
                if (!run_block(pool.data(), threads, body)) return false;
            }
    return true;
}

// IEEE binary16 conversions with round-to-nearest-even, as the GPU's cvt.rn.f16.f32.
inline unsigned short f32_to_f16(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    uint32_t sign = (bits >> 16) & 0x8000u;
    uint32_t abs = bits & 0x7fffffffu;
    if (abs >= 0x7f800000u) return (unsigned short)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    if (abs >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);  // rounds to ≥ 65520: infinity
    if (abs < 0x38800000u) {                                          // subnormal or zero in half
        if (abs < 0x33000000u) return (unsigned short)sign;            // below half the smallest subnormal
        uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
        int shift = 113 - (int)(abs >> 23) + 13;
        uint32_t half = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1))) ++half;
        return (unsigned short)(sign | half);
    }
    uint32_t half = ((abs - 0x38000000u) >> 13);
    uint32_t rest = abs & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1))) ++half;
    return (unsigned short)(sign | half);
}

inline float f16_to_f32(unsigned short h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu, bits;
    if (exponent == 0x1f) bits = sign | 0x7f800000u | (mantissa << 13);
    else if (exponent != 0) bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    else if (mantissa == 0) bits = sign;
    else {
        int e = 113;
        while (!(mantissa & 0x400u)) { mantissa <<= 1; --e; }
        bits = sign | ((uint32_t)e << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

}  // namespace reel_emu

#define blockIdx reel_emu::block_idx
#define threadIdx (reel_emu::current_fiber->thread_idx)
#define blockDim reel_emu::block_dim
#define gridDim reel_emu::grid_dim
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __shared__ static thread_local
#define __syncthreads() reel_emu::syncthreads()

inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return std::fmin(std::fmax(x, 0.0f), 1.0f); }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline double __dmul_rn(double a, double b) { return a * b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
template <class T> inline T __ldg(const T* p) { return *p; }
using std::isfinite;
inline unsigned int __float_as_uint(float f) {
    unsigned int u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}
inline float __uint_as_float(unsigned int u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
inline int min(int a, int b) { return std::min(a, b); }
inline int max(int a, int b) { return std::max(a, b); }

// Atomics are real atomics so a later multi-threaded block scheduler stays correct.
inline float atomicAdd(float* address, float value) {
    float old, desired;
    __atomic_load(address, &old, __ATOMIC_RELAXED);
    do {
        desired = old + value;
    } while (!__atomic_compare_exchange(address, &old, &desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return old;
}
inline int atomicAdd(int* address, int value) { return __atomic_fetch_add(address, value, __ATOMIC_RELAXED); }
inline unsigned long long atomicAdd(unsigned long long* address, unsigned long long value) {
    return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}
