namespace Reel.Engine.Backends.Cuda;

/// <summary>The launcher of kernels/thumbnail.cu (<see cref="Ops.ThumbnailOp"/>).</summary>
internal static class CudaThumbnail
{
    /// <summary>Each of <paramref name="frames"/> (channels, inH, inW) frames → its (outH, outW) thumbnail.</summary>
    public static void Launch(IGpuDevice device, DevicePtr src, DevicePtr dst, int frames, int channels, int inH, int inW, int outH, int outW,
        GpuStream? stream = null) =>
        device.Launch("thumbnail_f32", LaunchGeometry.Linear((long)frames * outH * outW),
            new KernelArgs().Ptr(src).Ptr(dst).Int(frames).Int(channels).Int(inH).Int(inW).Int(outH).Int(outW), stream);
}
