// libreel_kernels_emu.so: every kernel of kernels/*.cu compiled for the CPU emulation, behind
// one C entry point shaped like cuLaunchKernel (name, grid, block, kernelParams). The C#
// emulated device (Reel.Emulation's EmulatedDevice, beside this file) calls it, so tests run the real host
// launch code against the same kernel source the GPU gets.
#include <cstddef>
#include <cstring>
#include <utility>

#include "../adam.cu"
#include "../annealed_mean.cu"
#include "../channel_sum.cu"
#include "../concat.cu"
#include "../convert.cu"
#include "../copy_window.cu"
#include "../decimate.cu"
#include "../dis.cu"
#include "../elementwise.cu"
#include "../epilogue.cu"
#include "../finite_check.cu"
#include "../flow_check.cu"
#include "../fuse_distributions.cu"
#include "../irt.cu"
#include "../lab.cu"
#include "../luma8.cu"
#include "../mode_hold.cu"
#include "../layout.cu"
#include "../pack.cu"
#include "../pad_reflect.cu"
#include "../pool.cu"
#include "../relu_backward.cu"
#include "../residual.cu"
#include "../resize_bicubic.cu"
#include "../resize_bilinear.cu"
#include "../screened_poisson.cu"
#include "../thumbnail.cu"
#include "../warp.cu"

namespace {

// kernelParams[i] points at argument i, exactly as the driver API takes them. Kernels with
// barriers run every thread as a fiber; the rest as plain calls (the emulator checks that they
// never reach a barrier).
template <bool Barriers, class... A, std::size_t... I>
bool launch_unpacked(void (*kernel)(A...), dim3 grid, dim3 block, void** params, std::index_sequence<I...>) {
    if (Barriers) return reel_emu::launch(grid, block, kernel, *static_cast<A*>(params[I])...);
    return reel_emu::launch_plain(grid, block, kernel, *static_cast<A*>(params[I])...);
}

template <bool Barriers, class... A>
bool launch_with(void (*kernel)(A...), dim3 grid, dim3 block, void** params) {
    return launch_unpacked<Barriers>(kernel, grid, block, params, std::index_sequence_for<A...>{});
}

struct Entry {
    const char* name;
    bool (*launch)(dim3, dim3, void**);
};

#define REEL_KERNEL(k) \
    Entry { #k, [](dim3 g, dim3 b, void** p) { return launch_with<false>(k, g, b, p); } }
#define REEL_KERNEL_WITH_BARRIERS(k) \
    Entry { #k, [](dim3 g, dim3 b, void** p) { return launch_with<true>(k, g, b, p); } }

const Entry kernels[] = {
    REEL_KERNEL(adam_step_f32),
    REEL_KERNEL_WITH_BARRIERS(annealed_mean_f32),
    REEL_KERNEL_WITH_BARRIERS(annealed_mean_f16),
    REEL_KERNEL(affine_act_f32),
    REEL_KERNEL(bias_act_nhwc_bf16),
    REEL_KERNEL(subtract_f32),
    REEL_KERNEL(clamp_f32),
    REEL_KERNEL(relu_backward_f32),
    REEL_KERNEL_WITH_BARRIERS(irt_loss_grad_f32),
    REEL_KERNEL_WITH_BARRIERS(irt_loss_partials_f32),
    REEL_KERNEL_WITH_BARRIERS(irt_loss_reduce_f32),
    REEL_KERNEL(add_channels_f32),
    REEL_KERNEL_WITH_BARRIERS(channel_sum_partials_f32),
    REEL_KERNEL_WITH_BARRIERS(channel_sum_finish_f32),
    REEL_KERNEL_WITH_BARRIERS(channel_moments_partials_f32),
    REEL_KERNEL_WITH_BARRIERS(channel_moments_finish_f32),
    REEL_KERNEL(finite_check_f32),
    REEL_KERNEL(maxpool2d_backward_f32),
    REEL_KERNEL(resize_bilinear_backward_f32),
    REEL_KERNEL(rgb_to_lab_f32),
    REEL_KERNEL(lab_to_rgb_f32),
    REEL_KERNEL(recolor_f32),
    REEL_KERNEL(pack_u8_to_f32),
    REEL_KERNEL(unpack_f32_to_u8),
    REEL_KERNEL(convert_f32_to_f16),
    REEL_KERNEL(convert_f16_to_f32),
    REEL_KERNEL(convert_f32_to_bf16),
    REEL_KERNEL(convert_bf16_to_f32),
    REEL_KERNEL_WITH_BARRIERS(nchw_f32_to_nhwc_f16),
    REEL_KERNEL_WITH_BARRIERS(nhwc_f16_to_nchw_f32),
    REEL_KERNEL_WITH_BARRIERS(nchw_f32_to_nhwc_bf16),
    REEL_KERNEL_WITH_BARRIERS(nhwc_bf16_to_nchw_f32),
    REEL_KERNEL_WITH_BARRIERS(nhwc_bf16_to_nchw_f32_bias_act),
    REEL_KERNEL(copy_window_f32),
    REEL_KERNEL(maxpool2d_f32),
    REEL_KERNEL(concat_channels_f32),
    REEL_KERNEL(residual_subtract_clamp_f32),
    REEL_KERNEL(resize_bilinear_f32),
    REEL_KERNEL(resize_bicubic_across_f32),
    REEL_KERNEL(resize_bicubic_down_f32),
    REEL_KERNEL(pad_reflect_f32),
    REEL_KERNEL(decimate_box_f32),
    REEL_KERNEL(luma8_f32),
    REEL_KERNEL(thumbnail_f32),
    REEL_KERNEL(dis_quantize_f32),
    REEL_KERNEL(dis_area_resize_f32),
    REEL_KERNEL(dis_sobel_f32),
    REEL_KERNEL(dis_extend_f32),
    REEL_KERNEL_WITH_BARRIERS(dis_structure_tensor_f32),
    REEL_KERNEL_WITH_BARRIERS(dis_patch_search_f32),
    REEL_KERNEL(dis_densify_f32),
    REEL_KERNEL(dis_vr_prepare_f32),
    REEL_KERNEL(dis_vr_derive_f32),
    REEL_KERNEL(dis_vr_weights_f32),
    REEL_KERNEL(dis_vr_assemble_f32),
    REEL_KERNEL(dis_vr_sor_f32),
    REEL_KERNEL(dis_vr_update_f32),
    REEL_KERNEL(dis_upscale_f32),
    REEL_KERNEL(warp_bilinear_f32),
    REEL_KERNEL(flow_check_f32),
    REEL_KERNEL(mode_table_i64),
    REEL_KERNEL(mode_hold_f32),
    REEL_KERNEL(screened_poisson_setup_f32),
    REEL_KERNEL(screened_poisson_sor_f32),
    REEL_KERNEL(screened_poisson_finish_f32),
    REEL_KERNEL(fuse_distributions_f32),
};

void copy_error(const std::string& text, char* error, int capacity) {
    if (!error || capacity <= 0) return;
    std::size_t n = std::min<std::size_t>(text.size(), (std::size_t)capacity - 1);
    std::memcpy(error, text.data(), n);
    error[n] = 0;
}

}  // namespace

// 0: ran; 1: no kernel of that name; 2: the launch failed (reason written to error).
extern "C" __attribute__((visibility("default"))) int reel_emu_launch(const char* name, unsigned gx, unsigned gy,
                                                                      unsigned gz, unsigned bx, unsigned by,
                                                                      unsigned bz, void** params, char* error,
                                                                      int error_capacity) {
    for (const Entry& e : kernels)
        if (std::strcmp(e.name, name) == 0) {
            if (e.launch(dim3(gx, gy, gz), dim3(bx, by, bz), params)) return 0;
            copy_error(reel_emu::launch_error, error, error_capacity);
            return 2;
        }
    copy_error(std::string("no emulated kernel named ") + name, error, error_capacity);
    return 1;
}

// The kernel names, one per line, so a test can check the table against the .cu sources.
extern "C" __attribute__((visibility("default"))) const char* reel_emu_kernel_names() {
    static std::string names = [] {
        std::string s;
        for (const Entry& e : kernels) s += std::string(e.name) + "\n";
        return s;
    }();
    return names.c_str();
}
