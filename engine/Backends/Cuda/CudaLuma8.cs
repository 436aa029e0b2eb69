namespace Reel.Engine.Backends.Cuda;

/// <summary>The launcher of kernels/luma8.cu (<see cref="Ops.Luma8Op"/>).</summary>
internal static class CudaLuma8
{
    /// <summary>(frames, 3, plane) RGB → (frames, 1, plane) 8-bit luma over 255.</summary>
    public static void Launch(IGpuDevice device, DevicePtr rgb, DevicePtr luma, int frames, int plane, GpuStream? stream = null) =>
        device.Launch("luma8_f32", LaunchGeometry.Linear(plane, frames: frames), new KernelArgs().Ptr(rgb).Ptr(luma).Int(plane), stream);
}
