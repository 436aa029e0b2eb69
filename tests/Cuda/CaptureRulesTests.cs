using Reel.Emulation;
using Reel.Engine.Backends.Cuda;
using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Tests.Cuda;

/// <summary>
/// The emulated device keeps CUDA's stream-capture rules, so code that would fail inside a capture
/// on a GPU fails in these tests too: each refused call throws the driver's error
/// (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED), and what a capture may do (pinned copies, launches of
/// loaded kernels) is recorded and runs only when the graph is replayed.
/// </summary>
public unsafe class CaptureRulesTests
{
    [Fact]
    public void AllocatingOrFreeingDeviceOrPinnedMemoryIsRefused()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        using var before = device.Allocate(64);
        using var pinnedBefore = device.AllocatePinned(64);
        AssertRefused(device, stream, () => device.Allocate(64).Dispose(), "cuMemAlloc");
        AssertRefused(device, stream, () => device.AllocatePinned(64).Dispose(), "cuMemAllocHost");
        AssertRefused(device, stream, before.Dispose, "cuMemFree");
        AssertRefused(device, stream, pinnedBefore.Dispose, "cuMemFreeHost");
    }

    [Fact]
    public void SynchronizingTheDeviceOrAStreamIsRefused()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        AssertRefused(device, stream, () => device.Synchronize(), "cuCtxSynchronize");
        AssertRefused(device, stream, () => device.Synchronize(stream), "cuStreamSynchronize");
    }

    [Fact]
    public void ReadingAnEventOnTheHostIsRefused()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        using var start = device.CreateTimingEvent();
        using var end = device.CreateTimingEvent();
        device.Record(start, stream);
        device.Record(end, stream);
        AssertRefused(device, stream, () => device.WaitHost(end), "cuEventSynchronize");
        AssertRefused(device, stream, () => device.ElapsedMs(start, end), "cuEventElapsedTime");
    }

    [Fact]
    public void CopiesWithPageableHostMemoryOrNoStreamAreRefused()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        using var buffer = device.Allocate(4 * sizeof(float));
        var pageable = new float[4];
        fixed (float* p = pageable)
        {
            var host = p;
            AssertRefused(device, stream, () => device.CopyToDevice(buffer.Ptr, host, 16, stream), "cuMemcpyHtoDAsync");
            AssertRefused(device, stream, () => device.CopyToHost(host, buffer.Ptr, 16, stream), "cuMemcpyDtoHAsync");
        }
        using var pinned = device.AllocatePinned(16);
        AssertRefused(device, stream, () => device.CopyToDevice(buffer.Ptr, (void*)pinned.Address, 16), "cuMemcpyHtoDAsync");
        // A copy reaching past the pinned allocation's end is pageable memory on its last bytes.
        using var wide = device.Allocate(64);
        AssertRefused(device, stream, () => device.CopyToDevice(wide.Ptr, (void*)pinned.Address, 32, stream), "cuMemcpyHtoDAsync");
    }

    [Fact]
    public void PinnedCopiesAreRecordedAndReadTheBufferWhenReplayed()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        using var buffer = device.Allocate(4 * sizeof(float));
        using var up = device.AllocatePinned(16);
        using var down = device.AllocatePinned(16);
        down.As<float>().Clear();
        var kernels = new CudaKernels(device);
        // Loads elementwise.cu before the capture.
        kernels.Clamp(buffer.Ptr, buffer.Ptr, 4, 0f, 1f, stream);
        using var graph = device.Capture(stream, () =>
        {
            device.CopyToDevice(buffer.Ptr, (void*)up.Address, 16, stream);
            kernels.Clamp(buffer.Ptr, buffer.Ptr, 4, 0f, 1f, stream);
            device.CopyToHost((void*)down.Address, buffer.Ptr, 16, stream);
        });
        Assert.All(down.As<float>().ToArray(), v => Assert.Equal(0f, v));
        new float[] { -1f, 0.25f, 2f, 0.5f }.CopyTo(up.As<float>());
        device.Replay(graph, stream);
        // The host reads the copy's result, and refills what the copy read, only after waiting for the replay.
        Assert.Throws<InvalidOperationException>(() => down.As<float>());
        device.Synchronize(stream);
        Assert.Equal(new[] { 0f, 0.25f, 1f, 0.5f }, down.As<float>().ToArray());
        new float[] { 3f, -3f, 0.75f, 0f }.CopyTo(up.As<float>());
        device.Replay(graph, stream);
        device.Synchronize(stream);
        Assert.Equal(new[] { 1f, 0f, 0.75f, 0f }, down.As<float>().ToArray());
    }

    [Fact]
    public void AKernelWhoseModuleIsNotLoadedIsRefusedUntilItHasRunOnce()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        using var buffer = device.Allocate(4 * sizeof(float));
        var kernels = new CudaKernels(device);
        var e = AssertRefused(device, stream, () => kernels.ReluBackward(buffer.Ptr, buffer.Ptr, 4, stream), "relu_backward.cu");
        Assert.Contains("loaded before the capture", e.Message);
        kernels.ReluBackward(buffer.Ptr, buffer.Ptr, 4, stream);
        using var graph = device.Capture(stream, () => kernels.ReluBackward(buffer.Ptr, buffer.Ptr, 4, stream));
        int launches = device.Launches;
        device.Replay(graph, stream);
        Assert.Equal(launches + 1, device.Launches);
    }

    [Fact]
    public void ACaptureIsTheCapturingThreadsOnly()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        using var graph = device.Capture(stream, () =>
        {
            Assert.True(device.IsCapturing);
            // Another thread may allocate (the driver's thread-local capture mode).
            var other = new Thread(() => device.Allocate(16).Dispose());
            other.Start();
            other.Join();
        });
        Assert.False(device.IsCapturing);
    }

    /// <summary>
    /// Only the capturing stream's work goes into the graph (another stream's runs at once, work with no
    /// stream is refused); an event recorded inside the capture is the graph's: the capturing stream may
    /// wait for it, but neither the host nor another stream may until it is recorded again outside; the
    /// capturing stream may not wait for an event recorded outside.
    /// </summary>
    [Fact]
    public void OnlyTheCapturedStreamsWorkIsRecordedAndItsEventsStayInside()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        using var other = device.CreateStream();
        using var x = device.Allocate(64);
        using var y = device.Allocate(64);
        using var inside = device.CreateEvent();
        using var outside = device.CreateEvent();
        device.Record(outside, other);
        var isolated = AssertRefused(device, stream, () => device.Wait(stream, outside), "cuStreamWaitEvent", EmulatedDevice.CaptureIsolation);
        Assert.Contains("recorded outside", isolated.Message);
        AssertRefused(device, stream, () => device.Fill(x.Ptr, 3, 64), "legacy stream");
        using var graph = device.Capture(stream, () =>
        {
            device.Fill(x.Ptr, 1, 64, stream);
            device.Fill(y.Ptr, 2, 64, other);
            device.Record(inside, stream);
            device.Wait(stream, inside);
        });
        Assert.Equal(1, device.Enqueued(other));
        Assert.Equal(0, device.Enqueued(stream));
        device.Replay(graph, stream);
        Assert.Equal(1, device.Enqueued(stream));
        Assert.Equal(EmulatedDevice.CapturedEvent, Assert.Throws<CudaException>(() => device.WaitHost(inside)).Status);
        Assert.Equal(EmulatedDevice.CapturedEvent, Assert.Throws<CudaException>(() => device.Wait(other, inside)).Status);
        device.Record(inside, stream);
        device.WaitHost(inside);
        Assert.Equal(1, device.Seen(null, stream));
    }

    /// <summary>
    /// A body that throws inside a capture ends it, and its own error comes out, not the capture's; a
    /// refused call that the body catches still leaves no graph: ending the capture fails, naming the call.
    /// </summary>
    [Fact]
    public void ARefusedCallInvalidatesTheCaptureEvenWhenCaught()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var stream = device.CreateStream();
        var own = Assert.Throws<InvalidOperationException>(() => device.Capture(stream, () => throw new InvalidOperationException("the body's own")));
        Assert.Equal("the body's own", own.Message);
        Assert.False(device.IsCapturing);
        var refused = Assert.Throws<CudaException>(() => device.Capture(stream, () => device.Synchronize(stream)));
        Assert.Contains("cuStreamSynchronize", refused.Message);
        using (device.Capture(stream, () => { }))
        {
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> inside a capture and asserts that it throws the capture error naming
    /// <paramref name="what"/>, and that the capture, invalidated by it, gives no graph.
    /// </summary>
    private static CudaException AssertRefused(EmulatedDevice device, GpuStream stream, Action call, string what, int status = EmulatedDevice.CaptureUnsupported)
    {
        CudaException? refused = null;
        var ended = Assert.Throws<CudaException>(() => device.Capture(stream, () => refused = Assert.Throws<CudaException>(call)));
        Assert.NotNull(refused);
        Assert.Equal(status, refused!.Status);
        Assert.Contains(what, refused.Message);
        Assert.Equal(EmulatedDevice.CaptureInvalidated, ended.Status);
        Assert.Contains("cuStreamEndCapture", ended.Message);
        Assert.False(device.IsCapturing);
        return refused;
    }
}
