namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// The seam between Reel's host code and a GPU: memory, copies, kernel launches by name,
/// streams, events and graph capture. <see cref="DriverDevice"/> is the CUDA driver API;
/// the emulated device (Reel.Emulation, kernels/emu) runs the same kernels' source on the CPU, so every
/// launcher and plan above this interface is exercised in tests without a GPU.
/// </summary>
public interface IGpuDevice : IDisposable
{
    /// <summary>"NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)" or "CPU emulation".</summary>
    string Description { get; }

    /// <summary>Compute capability as major·10 + minor (80, 86, 90); the emulator reports 0.</summary>
    int ComputeCapability { get; }

    /// <summary>Device memory free now, in bytes (cuMemGetInfo; the emulator reports what a test sets).</summary>
    long FreeMemoryBytes { get; }

    /// <summary>Device memory of <paramref name="bytes"/> bytes (cuMemAlloc), freed when the buffer is disposed.</summary>
    DeviceBuffer Allocate(long bytes);

    /// <summary>Page-locked host memory for asynchronous copies (cuMemAllocHost); freed with the handle.</summary>
    PinnedBuffer AllocatePinned(long bytes);

    /// <summary>Copies <paramref name="bytes"/> from host memory at <paramref name="src"/> to the device, in stream order (at once when no stream is given).</summary>
    // SAFETY: the caller keeps src valid for `bytes` until the copy is done (pinned or page-locked memory, or a wait after it).
    unsafe void CopyToDevice(DevicePtr dst, void* src, long bytes, GpuStream? stream = null);

    /// <summary>Copies <paramref name="bytes"/> from the device to host memory at <paramref name="dst"/>, in stream order (at once when no stream is given).</summary>
    // SAFETY: the caller keeps dst valid and writable for `bytes` until the copy is done.
    unsafe void CopyToHost(void* dst, DevicePtr src, long bytes, GpuStream? stream = null);

    /// <summary>
    /// Copies <paramref name="bytes"/> from the device into <paramref name="destination"/>, managed memory, after
    /// <paramref name="stream"/>'s queued work, and waits for the stream with the memory pinned: the copy may still
    /// be running when cuMemcpyDtoHAsync returns, even into pageable memory (the driver's documentation says only
    /// that it "might be synchronous"), and the collector may move managed memory once it is unpinned.
    /// </summary>
    unsafe void CopyToHostAndWait<T>(Span<T> destination, DevicePtr src, long bytes, GpuStream stream) where T : unmanaged
    {
        if (bytes > (long)destination.Length * sizeof(T)) throw new ArgumentException($"{bytes} bytes do not fit {destination.Length} elements of {sizeof(T)}");
        // SAFETY: the copy writes `bytes`, no more than the pinned span holds (checked above).
        fixed (T* p = destination)
        {
            CopyToHost(p, src, bytes, stream);
            Synchronize(stream);
        }
    }

    /// <summary>Copies <paramref name="bytes"/> between device buffers, in stream order.</summary>
    void CopyDeviceToDevice(DevicePtr dst, DevicePtr src, long bytes, GpuStream? stream = null);

    /// <summary>Sets <paramref name="bytes"/> bytes at <paramref name="dst"/> to <paramref name="value"/>, in stream order (cuMemsetD8).</summary>
    void Fill(DevicePtr dst, byte value, long bytes, GpuStream? stream = null);

    /// <summary>Launches kernel <paramref name="name"/> (an extern "C" entry of kernels/*.cu) with the packed arguments.</summary>
    void Launch(string name, LaunchGeometry geometry, KernelArgs args, GpuStream? stream = null);

    /// <summary>A new stream, which does not wait for the default stream (CU_STREAM_NON_BLOCKING).</summary>
    GpuStream CreateStream();

    /// <summary>A new event for ordering work, without timing.</summary>
    GpuEvent CreateEvent();

    /// <summary>Marks the point <paramref name="stream"/> has reached: <paramref name="e"/> completes when the work queued before it does.</summary>
    void Record(GpuEvent e, GpuStream stream);

    /// <summary>Makes later work on <paramref name="stream"/> wait for <paramref name="e"/>, without blocking the host.</summary>
    void Wait(GpuStream stream, GpuEvent e);

    /// <summary>Blocks the calling thread until the work recorded by <paramref name="e"/> is done (cuEventSynchronize).</summary>
    void WaitHost(GpuEvent e);

    /// <summary>An event that also stamps the time the device reached it, for measuring (the others skip that cost).</summary>
    GpuEvent CreateTimingEvent();

    /// <summary>Milliseconds between two recorded timing events, once both are done (cuEventElapsedTime).</summary>
    float ElapsedMs(GpuEvent start, GpuEvent end);

    /// <summary>
    /// Records the work <paramref name="body"/> enqueues on <paramref name="stream"/> into a replayable graph.
    /// A body that throws ends the capture and its exception comes out; a call the capture refused, even one
    /// the body caught, leaves no graph (the driver's CUDA_ERROR_STREAM_CAPTURE_INVALIDATED).
    /// </summary>
    GpuGraph Capture(GpuStream stream, Action body);

    /// <summary>Whether the calling thread is capturing a graph (<see cref="Capture"/>): what allocates or synchronizes must not run then.</summary>
    bool IsCapturing { get; }

    /// <summary>Queues the whole of <paramref name="graph"/> on <paramref name="stream"/> (cuGraphLaunch).</summary>
    void Replay(GpuGraph graph, GpuStream stream);

    /// <summary>Blocks the host until <paramref name="stream"/>'s work is done, or the whole device's when it is null.</summary>
    void Synchronize(GpuStream? stream = null);
}
