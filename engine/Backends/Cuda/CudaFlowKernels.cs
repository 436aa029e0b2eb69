namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// The host side of the temporal kernels (kernels/dis.cu, warp.cu, flow_check.cu, mode_hold.cu, screened_poisson.cu, fuse_distributions.cu): argument packing
/// in each kernel's order and its launch geometry. Planes are row-major (H, W) floats on <see cref="Device"/>.
/// </summary>
internal sealed class CudaFlowKernels(IGpuDevice device, GpuStream? stream = null)
{
    /// <summary>dis_patch_search_f32 runs one block per stripe of patch rows, one thread per pixel of an 8×8 patch.</summary>
    public const int Stripes = 8, PatchThreads = 64;

    public IGpuDevice Device { get; } = device;

    /// <summary>The stream every launch, fill and copy of the flow goes on (the backend's; null: the default stream).</summary>
    public GpuStream? Stream { get; } = stream;

    private void Linear(string name, long n, KernelArgs args, int frames = 1) => Device.Launch(name, LaunchGeometry.Linear(n, frames: frames), args, Stream);

    public void Quantize(DevicePtr x, DevicePtr q, int n) => Linear("dis_quantize_f32", n, new KernelArgs().Ptr(x).Ptr(q).Int(n));

    /// <summary>OpenCV's INTER_AREA from sw × sh to dw × dh (a shrink by less than 7×).</summary>
    public void AreaResize(DevicePtr src, DevicePtr dst, int sw, int sh, int dw, int dh)
    {
        if (dw < 1 || dh < 1 || sw < dw || sh < dh || sw >= 7 * dw || sh >= 7 * dh)
            throw new ArgumentOutOfRangeException(nameof(dw), $"area resize {sw}×{sh} → {dw}×{dh} is not a shrink by less than 7×");
        Linear("dis_area_resize_f32", (long)dw * dh, new KernelArgs().Ptr(src).Ptr(dst).Int(sw).Int(sh).Int(dw).Int(dh));
    }

    public void Sobel(DevicePtr x, DevicePtr gx, DevicePtr gy, int w, int h) =>
        Linear("dis_sobel_f32", (long)w * h, new KernelArgs().Ptr(x).Ptr(gx).Ptr(gy).Int(w).Int(h));

    /// <summary>x (h × w) with a 16-pixel replicated border into ext ((h + 32) × (w + 32)).</summary>
    public void Extend(DevicePtr x, DevicePtr ext, int w, int h) =>
        Linear("dis_extend_f32", (long)(w + 32) * (h + 32), new KernelArgs().Ptr(x).Ptr(ext).Int(w).Int(h));

    /// <summary>The five per-patch sums of the structure tensor, each a plane of cols × rows.</summary>
    public void StructureTensor(DevicePtr gx, DevicePtr gy, DevicePtr xx, DevicePtr yy, DevicePtr xy, DevicePtr x, DevicePtr y,
        int w, int cols, int rows, int stride) =>
        Linear("dis_structure_tensor_f32", (long)cols * rows,
            new KernelArgs().Ptr(gx).Ptr(gy).Ptr(xx).Ptr(yy).Ptr(xy).Ptr(x).Ptr(y).Int(w).Int(cols).Int(rows).Int(stride));

    /// <summary>Inverse search with spatial propagation; tensor holds the five sum planes in StructureTensor's order.</summary>
    public void PatchSearch(DevicePtr i0, DevicePtr ext, DevicePtr gx, DevicePtr gy, DevicePtr[] tensor, DevicePtr ux, DevicePtr uy,
        DevicePtr sx, DevicePtr sy, int w, int h, int cols, int rows, int stride, int inner)
    {
        var args = new KernelArgs().Ptr(i0).Ptr(ext).Ptr(gx).Ptr(gy);
        foreach (var t in tensor) args.Ptr(t);
        args.Ptr(ux).Ptr(uy).Ptr(sx).Ptr(sy).Int(w).Int(h).Int(cols).Int(rows).Int(stride).Int(inner);
        Device.Launch("dis_patch_search_f32", new LaunchGeometry(new Dim3(Stripes), new Dim3(PatchThreads)), args, Stream);
    }

    public void Densify(DevicePtr i0, DevicePtr i1, DevicePtr sx, DevicePtr sy, DevicePtr ux, DevicePtr uy, int w, int h, int cols, int rows, int stride) =>
        Linear("dis_densify_f32", (long)w * h,
            new KernelArgs().Ptr(i0).Ptr(i1).Ptr(sx).Ptr(sy).Ptr(ux).Ptr(uy).Int(w).Int(h).Int(cols).Int(rows).Int(stride));

    public void RefinePrepare(DevicePtr i0, DevicePtr i1, DevicePtr u, DevicePtr v, DevicePtr avg, DevicePtr iz, int w, int h) =>
        Linear("dis_vr_prepare_f32", (long)w * h, new KernelArgs().Ptr(i0).Ptr(i1).Ptr(u).Ptr(v).Ptr(avg).Ptr(iz).Int(w).Int(h));

    /// <summary>Central differences of x into dx (skipped when null) and dy.</summary>
    public void Derive(DevicePtr x, DevicePtr dx, DevicePtr dy, int w, int h) =>
        Linear("dis_vr_derive_f32", (long)w * h, new KernelArgs().Ptr(x).Ptr(dx).Ptr(dy).Int(w).Int(h));

    public void SmoothnessWeights(DevicePtr tu, DevicePtr tv, DevicePtr weightPadded, int w, int h) =>
        Linear("dis_vr_weights_f32", (long)w * h, new KernelArgs().Ptr(tu).Ptr(tv).Ptr(weightPadded).Int(w).Int(h));

    /// <summary>derivatives: the 8 planes Ix, Iy, Iz, Ixx, Ixy, Iyy, Ixz, Iyz; system: the 5 planes A11, A12, A22, B1, B2.</summary>
    public void Assemble(DevicePtr derivatives, DevicePtr duPadded, DevicePtr dvPadded, DevicePtr weightPadded, DevicePtr u, DevicePtr v,
        DevicePtr system, int w, int h) =>
        Linear("dis_vr_assemble_f32", (long)w * h,
            new KernelArgs().Ptr(derivatives).Ptr(duPadded).Ptr(dvPadded).Ptr(weightPadded).Ptr(u).Ptr(v).Ptr(system).Int(w).Int(h));

    public void Sor(DevicePtr system, DevicePtr weightPadded, DevicePtr duPadded, DevicePtr dvPadded, int w, int h, bool red) =>
        Linear("dis_vr_sor_f32", (long)w * h,
            new KernelArgs().Ptr(system).Ptr(weightPadded).Ptr(duPadded).Ptr(dvPadded).Int(w).Int(h).Int(red ? 0 : 1));

    /// <summary>t = x + the padded increment (t may be x).</summary>
    public void AddIncrement(DevicePtr x, DevicePtr incrementPadded, DevicePtr t, int w, int h) =>
        Linear("dis_vr_update_f32", (long)w * h, new KernelArgs().Ptr(x).Ptr(incrementPadded).Ptr(t).Int(w).Int(h));

    public void Upscale(DevicePtr x, DevicePtr y, int sw, int sh, int dw, int dh, float factor) =>
        Linear("dis_upscale_f32", (long)dw * dh, new KernelArgs().Ptr(x).Ptr(y).Int(sw).Int(sh).Int(dw).Int(dh).Float(factor));

    /// <summary>y = x(p + flow(p)) for (frames, channels, h, w) x and (frames, 2, h, w) flow.</summary>
    public void Warp(DevicePtr x, DevicePtr flow, DevicePtr y, int frames, int channels, int h, int w) =>
        Linear("warp_bilinear_f32", (long)h * w, new KernelArgs().Ptr(x).Ptr(flow).Ptr(y).Int(channels).Int(h).Int(w), frames);

    /// <summary>The forward–backward check of (frames, 2, h, w) flows into a (frames, 1, h, w) mask.</summary>
    public void FlowCheck(DevicePtr back, DevicePtr forward, DevicePtr mask, int frames, int h, int w) =>
        Linear("flow_check_f32", (long)h * w, new KernelArgs().Ptr(back).Ptr(forward).Ptr(mask).Int(h).Int(w), frames);

    /// <summary>
    /// The mode hold of (frames, channels, plane) planes against a (frames, channels + 1, plane) state and a (frames, plane)
    /// confidence: each frame's colour table into <paramref name="table"/> (zeroed here; (frames, bins, 2 + channels) longs), then the hold.
    /// </summary>
    public void ModeHold(Ops.ModeHoldOp op, DevicePtr p, DevicePtr state, DevicePtr confidence, DevicePtr table, DevicePtr y, int frames, int channels, int plane)
    {
        int bins = op.BinCount(channels);
        Device.Fill(table, 0, TableBytes(op, frames, channels), Stream);
        Linear("mode_table_i64", plane, new KernelArgs().Ptr(p).Ptr(state).Ptr(confidence).Ptr(table).Int(channels).Int(plane)
            .Float(op.MinJump).Float(op.Relative).Int(op.Bins).Float(op.Range).Float(op.BinsPerUnit).Int(bins), frames);
        Linear("mode_hold_f32", plane, new KernelArgs().Ptr(p).Ptr(state).Ptr(confidence).Ptr(table).Ptr(y).Int(channels).Int(plane)
            .Float(op.MinJump).Float(op.Relative).Int(op.Patience).Int(op.Bins).Float(op.Range).Float(op.BinsPerUnit).Int(bins).Int(op.MinTracked), frames);
    }

    /// <summary>The bytes of <see cref="ModeHold"/>'s colour tables.</summary>
    public static long TableBytes(Ops.ModeHoldOp op, int frames, int channels) => (long)frames * op.BinCount(channels) * (2 + channels) * sizeof(long);

    /// <summary>The screened Poisson system of one frame: diagonal (h·w) and per-channel right-hand sides (channels·h·w).</summary>
    public void PoissonSetup(DevicePtr p, DevicePtr t, DevicePtr c, DevicePtr diagonal, DevicePtr rhs, int channels, int h, int w, float lambda, float blend, float robust) =>
        Linear("screened_poisson_setup_f32", (long)h * w,
            new KernelArgs().Ptr(p).Ptr(t).Ptr(c).Ptr(diagonal).Ptr(rhs).Int(channels).Int(h).Int(w).Float(lambda).Float(blend).Float(robust));

    /// <summary>One red or black half-sweep over the padded corrections of every channel.</summary>
    public void PoissonSor(DevicePtr diagonal, DevicePtr rhs, DevicePtr dPadded, int channels, int h, int w, bool red) =>
        Linear("screened_poisson_sor_f32", (long)channels * h * w,
            new KernelArgs().Ptr(diagonal).Ptr(rhs).Ptr(dPadded).Int(channels).Int(h).Int(w).Int(red ? 0 : 1));

    public void PoissonFinish(DevicePtr p, DevicePtr dPadded, DevicePtr o, int channels, int h, int w) =>
        Linear("screened_poisson_finish_f32", (long)channels * h * w, new KernelArgs().Ptr(p).Ptr(dPadded).Ptr(o).Int(channels).Int(h).Int(w));

    /// <summary>Fused log-probabilities of (frames, bins, plane) logits and previous log-probabilities.</summary>
    public void FuseDistributions(DevicePtr z, DevicePtr previous, DevicePtr c, DevicePtr y, int frames, int bins, int plane, float keep, float temperature) =>
        Linear("fuse_distributions_f32", plane, new KernelArgs().Ptr(z).Ptr(previous).Ptr(c).Ptr(y).Int(bins).Int(plane).Float(keep).Float(temperature), frames);
}
