namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// The host side of every hand-written kernel: argument packing in the kernel's order and
/// the launch geometry. Shapes are NCHW; pointers are device pointers on <see cref="Device"/>.
/// Each method enqueues on its <c>stream</c> (the device's default when null).
/// </summary>
public sealed class CudaKernels(IGpuDevice device)
{
    /// <summary>irt.cu reduces in shared memory of this many floats per block.</summary>
    public const int IrtBlock = 256;
    /// <summary>The threads of channel_sum.cu's blocks and irt_loss_reduce_f32's one-block reduction.</summary>
    public const int ReduceBlock = 256;
    /// <summary>annealed_mean.cu stages at most this many bins' centres in shared memory.</summary>
    public const int MaxBins = 512;

    /// <summary>The device the kernels are launched on.</summary>
    public IGpuDevice Device { get; } = device;

    /// <summary>u8 interleaved (pixels × channels) → float planes (channels, pixels) in [0, 1].</summary>
    public void PackU8ToF32(DevicePtr src, DevicePtr dst, int pixels, int channels, GpuStream? stream = null) =>
        Device.Launch("pack_u8_to_f32", LaunchGeometry.Linear(pixels), new KernelArgs().Ptr(src).Ptr(dst).Int(pixels).Int(channels), stream);

    /// <summary>float planes → u8 interleaved, clamped to [0, 1] and rounded half away from zero (as ImageIO).</summary>
    public void UnpackF32ToU8(DevicePtr src, DevicePtr dst, int pixels, int channels, GpuStream? stream = null) =>
        Device.Launch("unpack_f32_to_u8", LaunchGeometry.Linear(pixels), new KernelArgs().Ptr(src).Ptr(dst).Int(pixels).Int(channels), stream);

    /// <summary>float → half (round to nearest even), n elements.</summary>
    public void ConvertF32ToF16(DevicePtr src, DevicePtr dst, int n, GpuStream? stream = null) =>
        Device.Launch("convert_f32_to_f16", LaunchGeometry.Linear(n), new KernelArgs().Ptr(src).Ptr(dst).Int(n), stream);

    /// <summary>half → float (exact), n elements.</summary>
    public void ConvertF16ToF32(DevicePtr src, DevicePtr dst, int n, GpuStream? stream = null) =>
        Device.Launch("convert_f16_to_f32", LaunchGeometry.Linear(n), new KernelArgs().Ptr(src).Ptr(dst).Int(n), stream);

    /// <summary>float → bfloat16 (round to nearest even; NaN stays NaN), n elements.</summary>
    public void ConvertF32ToBf16(DevicePtr src, DevicePtr dst, long n, GpuStream? stream = null) =>
        Device.Launch("convert_f32_to_bf16", LaunchGeometry.Linear(n), new KernelArgs().Ptr(src).Ptr(dst).Long(n), stream);

    /// <summary>bfloat16 → float (exact), n elements.</summary>
    public void ConvertBf16ToF32(DevicePtr src, DevicePtr dst, long n, GpuStream? stream = null) =>
        Device.Launch("convert_bf16_to_f32", LaunchGeometry.Linear(n), new KernelArgs().Ptr(src).Ptr(dst).Long(n), stream);

    /// <summary>(N, C, H·W) float → (N, H·W, C) half, the layout cuDNN's tensor-core convolutions prefer.</summary>
    public void NchwToNhwcF16(DevicePtr src, DevicePtr dst, int frames, int channels, int hw, GpuStream? stream = null) =>
        Device.Launch("nchw_f32_to_nhwc_f16", LaunchGeometry.Transpose(channels, hw, frames), new KernelArgs().Ptr(src).Ptr(dst).Int(channels).Int(hw), stream);

    /// <summary>(N, H·W, C) half → (N, C, H·W) float, the inverse of <see cref="NchwToNhwcF16"/>.</summary>
    public void NhwcF16ToNchw(DevicePtr src, DevicePtr dst, int frames, int channels, int hw, GpuStream? stream = null) =>
        Device.Launch("nhwc_f16_to_nchw_f32", LaunchGeometry.Transpose(channels, hw, frames), new KernelArgs().Ptr(src).Ptr(dst).Int(channels).Int(hw), stream);

    /// <summary>
    /// (N, C, H·W) float → (N, H·W, C) bfloat16 (rounded to nearest even), what a bf16 convolution reads:
    /// activations NHWC, filters (K, C, R, S) → (K, R, S, C) with K as N.
    /// </summary>
    public void NchwToNhwcBf16(DevicePtr src, DevicePtr dst, int frames, int channels, int hw, GpuStream? stream = null) =>
        Device.Launch("nchw_f32_to_nhwc_bf16", LaunchGeometry.Transpose(channels, hw, frames), new KernelArgs().Ptr(src).Ptr(dst).Int(channels).Int(hw), stream);

    /// <summary>(N, H·W, C) bfloat16 → (N, C, H·W) float (exact), the inverse of <see cref="NchwToNhwcBf16"/>.</summary>
    public void NhwcBf16ToNchw(DevicePtr src, DevicePtr dst, int frames, int channels, int hw, GpuStream? stream = null) =>
        Device.Launch("nhwc_bf16_to_nchw_f32", LaunchGeometry.Transpose(channels, hw, frames), new KernelArgs().Ptr(src).Ptr(dst).Int(channels).Int(hw), stream);

    /// <summary><see cref="NhwcBf16ToNchw"/> with a convolution's epilogue on the way: + bias[c] (null: none), then ReLU.</summary>
    public void NhwcBf16ToNchwBiasAct(DevicePtr src, DevicePtr dst, DevicePtr bias, int frames, int channels, int hw, bool relu, GpuStream? stream = null) =>
        Device.Launch("nhwc_bf16_to_nchw_f32_bias_act", LaunchGeometry.Transpose(channels, hw, frames),
            new KernelArgs().Ptr(src).Ptr(dst).Ptr(bias).Int(channels).Int(hw).Int(relu ? 1 : 0), stream);

    /// <summary>Copies an h×w window of every plane from (srcY, srcX) of src (planes, srcH, srcW) to (dstY, dstX) of dst (planes, dstH, dstW).</summary>
    public void CopyWindow(DevicePtr src, DevicePtr dst, int planes, int srcH, int srcW, int srcY, int srcX, int dstH, int dstW, int dstY, int dstX,
        int h, int w, GpuStream? stream = null)
    {
        if (srcY < 0 || srcX < 0 || dstY < 0 || dstX < 0 || srcY + h > srcH || srcX + w > srcW || dstY + h > dstH || dstX + w > dstW)
            throw new ArgumentOutOfRangeException(nameof(h), $"window {h}×{w} does not fit: src ({srcY},{srcX}) in {srcH}×{srcW}, dst ({dstY},{dstX}) in {dstH}×{dstW}");
        Device.Launch("copy_window_f32", LaunchGeometry.Linear((long)planes * h * w),
            new KernelArgs().Ptr(src).Ptr(dst).Int(planes).Int(srcH).Int(srcW).Int(srcY).Int(srcX).Int(dstH).Int(dstW).Int(dstY).Int(dstX).Int(h).Int(w), stream);
    }

    /// <summary>(N, 3, plane) sRGB in [0, 1] → Lab planes.</summary>
    public void RgbToLab(DevicePtr rgb, DevicePtr lab, int frames, int plane, GpuStream? stream = null) =>
        Device.Launch("rgb_to_lab_f32", LaunchGeometry.Linear(plane, frames: frames), new KernelArgs().Ptr(rgb).Ptr(lab).Int(plane), stream);

    /// <summary>(N, 3, plane) Lab → sRGB planes (not clamped).</summary>
    public void LabToRgb(DevicePtr lab, DevicePtr rgb, int frames, int plane, GpuStream? stream = null) =>
        Device.Launch("lab_to_rgb_f32", LaunchGeometry.Linear(plane, frames: frames), new KernelArgs().Ptr(lab).Ptr(rgb).Int(plane), stream);

    /// <summary>(N, channels, plane) sRGB (channels 1: gray) with (N, 2, plane) a, b → (N, 3, plane) sRGB, clipped (<see cref="Ops.RecolorOp"/>).</summary>
    public void Recolor(DevicePtr frame, DevicePtr ab, DevicePtr rgb, int frames, int channels, int plane, GpuStream? stream = null) =>
        Device.Launch("recolor_f32", LaunchGeometry.Linear(plane, frames: frames), new KernelArgs().Ptr(frame).Ptr(ab).Ptr(rgb).Int(channels).Int(plane), stream);

    /// <summary>Bilinear resize of every plane (inH, inW) → (outH, outW), PyTorch's source index with either align_corners rule.</summary>
    public void ResizeBilinear(DevicePtr src, DevicePtr dst, int planes, int inH, int inW, int outH, int outW, bool alignCorners, GpuStream? stream = null) =>
        Device.Launch("resize_bilinear_f32", LaunchGeometry.Linear((long)planes * outH * outW),
            new KernelArgs().Ptr(src).Ptr(dst).Int(inH).Int(inW).Int(outH).Int(outW).Int(planes).Int(alignCorners ? 1 : 0), stream);

    /// <summary>PIL's antialiased bicubic of every plane (inH, inW) → (outH, outW), clamped to [0, 1]; tmp holds planes × inH × outW floats.</summary>
    public void ResizeBicubic(DevicePtr src, DevicePtr tmp, DevicePtr dst, int planes, int inH, int inW, int outH, int outW, GpuStream? stream = null)
    {
        Device.Launch("resize_bicubic_across_f32", LaunchGeometry.Linear((long)planes * inH * outW),
            new KernelArgs().Ptr(src).Ptr(tmp).Int(planes).Int(inH).Int(inW).Int(outW), stream);
        Device.Launch("resize_bicubic_down_f32", LaunchGeometry.Linear((long)planes * outH * outW),
            new KernelArgs().Ptr(tmp).Ptr(dst).Int(planes).Int(inH).Int(outH).Int(outW), stream);
    }

    /// <summary>Every plane (inH, inW) padded at the bottom and right to (outH, outW) by mirroring.</summary>
    public void PadReflect(DevicePtr src, DevicePtr dst, int planes, int inH, int inW, int outH, int outW, GpuStream? stream = null) =>
        Device.Launch("pad_reflect_f32", LaunchGeometry.Linear((long)planes * outH * outW),
            new KernelArgs().Ptr(src).Ptr(dst).Int(planes).Int(inH).Int(inW).Int(outH).Int(outW), stream);

    /// <summary>y = act(x·scale[c] + shift[c]) over (N, C, plane); a null scale is 1, a null shift 0.</summary>
    public void AffineActivation(DevicePtr x, DevicePtr y, DevicePtr scale, DevicePtr shift, int channels, int plane, long total, bool relu, GpuStream? stream = null) =>
        Device.Launch("affine_act_f32", LaunchGeometry.Linear(total),
            new KernelArgs().Ptr(x).Ptr(y).Ptr(scale).Ptr(shift).Int(channels).Int(plane).Long(total).Int(relu ? 1 : 0), stream);

    /// <summary>
    /// y = act(y + bias[c]) in place on (N, H·W, C) bfloat16 (a null bias is 0), rounded back to bfloat16:
    /// a bf16 convolution chain's inner layers. Channels a multiple of 4 go four values to a thread.
    /// </summary>
    public void BiasActivationNhwcBf16(DevicePtr y, DevicePtr bias, int channels, long total, bool relu, GpuStream? stream = null) =>
        Device.Launch("bias_act_nhwc_bf16", LaunchGeometry.Linear(channels % 4 == 0 ? total / 4 : total),
            new KernelArgs().Ptr(y).Ptr(bias).Int(channels).Long(total).Int(relu ? 1 : 0), stream);

    /// <summary>y = a − b, n elements.</summary>
    public void Subtract(DevicePtr a, DevicePtr b, DevicePtr y, long n, GpuStream? stream = null) =>
        Device.Launch("subtract_f32", LaunchGeometry.Linear(n), new KernelArgs().Ptr(a).Ptr(b).Ptr(y).Long(n), stream);

    /// <summary>y = min(max(x, lo), hi), n elements.</summary>
    public void Clamp(DevicePtr x, DevicePtr y, long n, float lo, float hi, GpuStream? stream = null) =>
        Device.Launch("clamp_f32", LaunchGeometry.Linear(n), new KernelArgs().Ptr(x).Ptr(y).Long(n).Float(lo).Float(hi), stream);

    /// <summary>DnCNN's output: clamp(x − noise, lo, hi).</summary>
    public void ResidualSubtractClamp(DevicePtr x, DevicePtr noise, DevicePtr y, int n, float lo, float hi, GpuStream? stream = null) =>
        Device.Launch("residual_subtract_clamp_f32", LaunchGeometry.Linear(n), new KernelArgs().Ptr(x).Ptr(noise).Ptr(y).Int(n).Float(lo).Float(hi), stream);

    /// <summary>Zeroes grad where the ReLU's output y is not positive, in place: n elements.</summary>
    public void ReluBackward(DevicePtr y, DevicePtr grad, long n, GpuStream? stream = null) =>
        Device.Launch("relu_backward_f32", LaunchGeometry.Linear(n), new KernelArgs().Ptr(y).Ptr(grad).Long(n), stream);

    /// <summary>y (N, Ca, hw) = a + channels [offset, offset + Ca) of b (N, Cb, hw); y may be a.</summary>
    public void AddChannels(DevicePtr a, DevicePtr b, DevicePtr y, int frames, int ca, int cb, int offset, int hw, GpuStream? stream = null) =>
        Device.Launch("add_channels_f32", LaunchGeometry.Linear((long)frames * ca * hw),
            new KernelArgs().Ptr(a).Ptr(b).Ptr(y).Int(ca).Int(cb).Int(offset).Int(hw).Int(frames), stream);

    /// <summary>The pixels of a plane one block of <see cref="ChannelSum"/>'s and <see cref="ChannelMoments"/>' first launches takes: 8 a thread.</summary>
    public const int ChannelSlice = 2048;

    /// <summary>
    /// The slices <see cref="ChannelSum"/> and <see cref="ChannelMoments"/> take (N, C, plane) in: the partials
    /// they need are a double each for the sum, three for the moments.
    /// </summary>
    public static long ChannelSlices(int frames, int channels, int plane) => (long)frames * SlicesPerPlane(plane) * channels;

    private static int SlicesPerPlane(int plane) => (plane + ChannelSlice - 1) / ChannelSlice;

    /// <summary>
    /// db[c] = Σ of dy (N, C, plane) over frames and pixels, summed in double: slices of
    /// <see cref="ChannelSlice"/> pixels into <paramref name="partials"/> (<see cref="ChannelSlices"/>
    /// doubles), then each channel's partials in order.
    /// </summary>
    public void ChannelSum(DevicePtr dy, DevicePtr db, DevicePtr partials, int frames, int channels, int plane, GpuStream? stream = null)
    {
        int slices = SlicesPerPlane(plane), count = frames * slices;
        if (channels == 0) return;
        // An empty input has no partials; the finishing sum still writes each channel's 0.
        if (count > 0)
            Device.Launch("channel_sum_partials_f32", new LaunchGeometry(new Dim3((uint)count, (uint)channels), new Dim3(ReduceBlock)),
                new KernelArgs().Ptr(dy).Ptr(partials).Int(channels).Int(plane).Int(slices).Int(ChannelSlice), stream);
        Device.Launch("channel_sum_finish_f32", new LaunchGeometry(new Dim3((uint)channels), new Dim3(ReduceBlock)),
            new KernelArgs().Ptr(partials).Ptr(db).Int(count), stream);
    }

    /// <summary>
    /// (N, C, plane) → (2, C): each channel's mean, then its mean squared deviation from it, in double
    /// (<see cref="Ops.ChannelMomentsOp"/>), from slices of <see cref="ChannelSlice"/> pixels whose count,
    /// mean and squared deviations go to <paramref name="partials"/> (3 × <see cref="ChannelSlices"/> doubles).
    /// </summary>
    public void ChannelMoments(DevicePtr x, DevicePtr y, DevicePtr partials, int frames, int channels, int plane, GpuStream? stream = null)
    {
        // Never empty: ChannelMomentsOp takes a non-empty input.
        int slices = SlicesPerPlane(plane), count = frames * slices;
        Device.Launch("channel_moments_partials_f32", new LaunchGeometry(new Dim3((uint)count, (uint)channels), new Dim3(ReduceBlock)),
            new KernelArgs().Ptr(x).Ptr(partials).Int(channels).Int(plane).Int(slices).Int(ChannelSlice), stream);
        Device.Launch("channel_moments_finish_f32", new LaunchGeometry(new Dim3((uint)channels), new Dim3(ReduceBlock)),
            new KernelArgs().Ptr(partials).Ptr(y).Int(channels).Int(count), stream);
    }

    /// <summary>Sets the int at flags + slot to 1 when any of x[0 … n) is NaN or ±∞.</summary>
    public void FiniteCheck(DevicePtr x, long n, DevicePtr flags, int slot, GpuStream? stream = null) =>
        Device.Launch("finite_check_f32", LaunchGeometry.Linear(n), new KernelArgs().Ptr(x).Long(n).Ptr(flags).Int(slot), stream);

    /// <summary>∂L/∂x of max pooling from the forward's input x and dy, one thread per input element.</summary>
    public void MaxPoolBackward(DevicePtr x, DevicePtr dy, DevicePtr dx, int planes, int inH, int inW, int outH, int outW, int kernel, int stride,
        GpuStream? stream = null) =>
        Device.Launch("maxpool2d_backward_f32", LaunchGeometry.Linear((long)planes * inH * inW),
            new KernelArgs().Ptr(x).Ptr(dy).Ptr(dx).Int(inH).Int(inW).Int(outH).Int(outW).Int(planes).Int(kernel).Int(stride), stream);

    /// <summary>∂L/∂x of the bilinear resize (inH, inW) → (outH, outW), one thread per input element.</summary>
    public void ResizeBilinearBackward(DevicePtr dy, DevicePtr dx, int planes, int inH, int inW, int outH, int outW, bool alignCorners,
        GpuStream? stream = null) =>
        Device.Launch("resize_bilinear_backward_f32", LaunchGeometry.Linear((long)planes * inH * inW),
            new KernelArgs().Ptr(dy).Ptr(dx).Int(inH).Int(inW).Int(outH).Int(outW).Int(planes).Int(alignCorners ? 1 : 0), stream);

    /// <summary>Max pooling of every plane (inH, inW) → (outH, outW) with a square window; ties keep the first, a NaN wins.</summary>
    public void MaxPool(DevicePtr x, DevicePtr y, int planes, int inH, int inW, int outH, int outW, int kernel, int stride, GpuStream? stream = null) =>
        Device.Launch("maxpool2d_f32", LaunchGeometry.Linear((long)planes * outH * outW),
            new KernelArgs().Ptr(x).Ptr(y).Int(inH).Int(inW).Int(outH).Int(outW).Int(planes).Int(kernel).Int(stride), stream);

    /// <summary>y (N, Ca + Cb, hw) = a (N, Ca, hw) followed by b (N, Cb, hw) along channels.</summary>
    public void ConcatChannels(DevicePtr a, DevicePtr b, DevicePtr y, int frames, int ca, int cb, int hw, GpuStream? stream = null) =>
        Device.Launch("concat_channels_f32", LaunchGeometry.Linear((long)frames * (ca + cb) * hw),
            new KernelArgs().Ptr(a).Ptr(b).Ptr(y).Int(ca).Int(cb).Int(hw).Int(frames), stream);

    /// <summary>Logits (N, bins, plane) → ab (N, 2, plane) under softmax(z/T); centres (2, bins).</summary>
    public void AnnealedMean(DevicePtr logits, DevicePtr centres, DevicePtr ab, int frames, int bins, int plane, float temperature,
        bool halfLogits = false, GpuStream? stream = null)
    {
        if (bins < 1 || bins > MaxBins) throw new ArgumentOutOfRangeException(nameof(bins), bins, $"the annealed-mean kernel takes 1 to {MaxBins} bins");
        if (!(temperature > 0) || !float.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be a positive number");
        Device.Launch(halfLogits ? "annealed_mean_f16" : "annealed_mean_f32", LaunchGeometry.Linear(plane, frames: frames),
            new KernelArgs().Ptr(logits).Ptr(centres).Ptr(ab).Int(bins).Int(plane).Float(temperature), stream);
    }

    /// <summary>The number of loss partials (pairs) <see cref="IrtLossGrad"/> writes for an H×W frame.</summary>
    public static int IrtPartialBlocks(int height, int width) => (int)LaunchGeometry.Linear((long)height * width, IrtBlock).Grid.X;

    /// <summary>
    /// The prior's loss gradient into <paramref name="grad"/> and its per-block |d| sums into
    /// <paramref name="partials"/> (2 floats per block, <see cref="IrtPartialBlocks"/> blocks).
    /// kind: 0 L1, 1 IRT init, 2 IRT (Training.PriorLossKind's order).
    /// </summary>
    public void IrtLossGrad(DevicePtr o, DevicePtr input, DevicePtr p, DevicePtr grad, DevicePtr partials, int height, int width,
        int validH, int validW, int kind, GpuStream? stream = null)
    {
        if (validH < 1 || validW < 1 || validH > height || validW > width) throw new ArgumentOutOfRangeException(nameof(validH), "valid region must lie inside the frame");
        float unit = (float)(1.0 / (3.0 * validH * validW));
        Device.Launch("irt_loss_grad_f32", LaunchGeometry.Linear((long)height * width, IrtBlock),
            new KernelArgs().Ptr(o).Ptr(input).Ptr(p).Ptr(grad).Ptr(partials).Int(width).Int(height * width).Int(validH).Int(validW).Int(kind).Float(unit), stream);
    }

    /// <summary>As <see cref="IrtLossGrad"/>, the partial sums alone (for the loss value).</summary>
    public void IrtLossPartials(DevicePtr o, DevicePtr input, DevicePtr p, DevicePtr partials, int height, int width, int validH, int validW, int kind,
        GpuStream? stream = null)
    {
        if (validH < 1 || validW < 1 || validH > height || validW > width) throw new ArgumentOutOfRangeException(nameof(validH), "valid region must lie inside the frame");
        Device.Launch("irt_loss_partials_f32", LaunchGeometry.Linear((long)height * width, IrtBlock),
            new KernelArgs().Ptr(o).Ptr(input).Ptr(p).Ptr(partials).Int(width).Int(height * width).Int(validH).Int(validW).Int(kind), stream);
    }

    /// <summary>The loss from <see cref="IrtLossGrad"/>'s partials (<paramref name="blocks"/> pairs) into one float, reduced in double on the device.</summary>
    public void IrtLossReduce(DevicePtr partials, int blocks, int kind, int validH, int validW, DevicePtr loss, GpuStream? stream = null) =>
        Device.Launch("irt_loss_reduce_f32", new LaunchGeometry(new Dim3(1), new Dim3(ReduceBlock)),
            new KernelArgs().Ptr(partials).Int(blocks).Int(kind).Int(validH).Int(validW).Ptr(loss), stream);

    /// <summary>Reduces <see cref="IrtLossGrad"/>'s partials to the loss value, in double as PriorLoss does.</summary>
    public static double IrtLoss(ReadOnlySpan<float> partials, int kind, int validH, int validW)
    {
        double main = 0, minor = 0;
        for (int i = 0; i + 1 < partials.Length; i += 2)
        {
            main += partials[i];
            minor += partials[i + 1];
        }
        double count = 3.0 * validH * validW;
        return kind == 1 ? (main + Training.PriorLoss.IrtInitMinorWeight * minor) / count : (main + minor) / count;
    }

    /// <summary>One Adam step (PyTorch's formula); <paramref name="corrections"/> holds the step's lr / (1 − β1ᵗ) and √(1 − β2ᵗ) (<see cref="Ops.AdamStepOp.Corrections"/>).</summary>
    public void AdamStep(DevicePtr param, DevicePtr grad, DevicePtr m, DevicePtr v, long n, DevicePtr corrections, float beta1, float beta2, float eps,
        GpuStream? stream = null) =>
        Device.Launch("adam_step_f32", LaunchGeometry.Linear(n),
            new KernelArgs().Ptr(param).Ptr(grad).Ptr(m).Ptr(v).Long(n).Ptr(corrections).Float(beta1).Float(beta2).Float(eps), stream);
}
