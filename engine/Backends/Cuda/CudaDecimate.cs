namespace Reel.Engine.Backends.Cuda;

/// <summary>The launcher of kernels/decimate.cu (<see cref="Ops.DecimateOp"/>).</summary>
internal static class CudaDecimate
{
    /// <summary>Every plane (inH, inW) box-averaged by <paramref name="factor"/> into (⌈inH / factor⌉, ⌈inW / factor⌉).</summary>
    public static void Launch(IGpuDevice device, DevicePtr src, DevicePtr dst, int planes, int inH, int inW, int factor, GpuStream? stream = null)
    {
        int outH = (inH + factor - 1) / factor, outW = (inW + factor - 1) / factor;
        device.Launch("decimate_box_f32", LaunchGeometry.Linear((long)planes * outH * outW),
            new KernelArgs().Ptr(src).Ptr(dst).Int(planes).Int(inH).Int(inW).Int(outH).Int(outW).Int(factor), stream);
    }
}
