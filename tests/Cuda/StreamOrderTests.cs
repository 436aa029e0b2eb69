using Reel.Emulation;
using Reel.Engine.Backends.Cuda;

namespace Reel.Tests.Cuda;

/// <summary>
/// The emulated device runs every operation at once, but keeps what would order it on a GPU: work on
/// two streams that touches the same device memory with no event wait or synchronize between them
/// throws (read after write, write after read, write after write), and so does synchronous host work
/// on memory a stream used without the host waiting for it. These cases fail without the ordering
/// and pass with it, so the backend's own streams (the copy stream beside the compute stream) are
/// checked by every test that runs on the emulator.
/// </summary>
public unsafe class StreamOrderTests
{
    [Fact]
    public void AReadOnAnotherStreamMustWaitForTheWrite()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var a = device.CreateStream();
        using var b = device.CreateStream();
        using var x = device.Allocate(256);
        using var y = device.Allocate(256);
        device.Fill(x.Ptr, 1, 256, a);
        var e = Assert.Throws<InvalidOperationException>(() => device.CopyDeviceToDevice(y.Ptr, x.Ptr, 256, b));
        Assert.Contains("race", e.Message);
        Assert.Contains("a device-to-device copy", e.Message);
        Assert.Contains("a fill", e.Message);

        using var written = device.CreateEvent();
        device.Fill(x.Ptr, 2, 256, a);
        device.Record(written, a);
        device.Wait(b, written);
        device.CopyDeviceToDevice(y.Ptr, x.Ptr, 256, b);
    }

    [Fact]
    public void AWriteOnAnotherStreamMustWaitForTheReads()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var a = device.CreateStream();
        using var b = device.CreateStream();
        using var x = device.Allocate(256);
        using var y = device.Allocate(256);
        using var written = device.CreateEvent();
        device.Fill(x.Ptr, 1, 256, a);
        device.Record(written, a);
        device.CopyDeviceToDevice(y.Ptr, x.Ptr, 256, a);
        // b knows of the write, not of the read after it. A view into x (a pointer inside the allocation) is the same memory.
        device.Wait(b, written);
        Assert.Contains("overwrites", Assert.Throws<InvalidOperationException>(() => device.Fill(new DevicePtr(x.Ptr.Address + 64), 0, 64, b)).Message);

        using var read = device.CreateEvent();
        device.Record(read, a);
        device.Wait(b, read);
        device.Fill(x.Ptr, 0, 256, b);
        // And a's next write now waits for b's.
        Assert.Throws<InvalidOperationException>(() => device.Fill(x.Ptr, 3, 256, a));
    }

    [Fact]
    public void KernelsReadTheirConstPointersAndWriteTheOthers()
    {
        using var device = EmulatedGpu.OpenPrivate();
        var kernels = new CudaKernels(device);
        using var a = device.CreateStream();
        using var b = device.CreateStream();
        using var src = device.Allocate(64 * sizeof(float));
        using var dst = device.Allocate(64 * sizeof(ushort));
        device.Fill(src.Ptr, 0, 64 * sizeof(float), a);
        Assert.Contains("convert_f32_to_bf16", Assert.Throws<InvalidOperationException>(() => kernels.ConvertF32ToBf16(src.Ptr, dst.Ptr, 64, b)).Message);
        device.Synchronize(a);
        kernels.ConvertF32ToBf16(src.Ptr, dst.Ptr, 64, b);
        // Two streams may read the same memory at once; only a write needs the order.
        kernels.ConvertF32ToBf16(src.Ptr, dst.Ptr, 64, b);
        using var other = device.Allocate(64 * sizeof(ushort));
        kernels.ConvertF32ToBf16(src.Ptr, other.Ptr, 64, a);
    }

    [Fact]
    public void TheHostWaitsBeforeItsOwnCopiesTouchAStreamsMemory()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var s = device.CreateStream();
        using var x = device.Allocate(256);
        var host = new byte[256];
        device.Fill(x.Ptr, 7, 256, s);
        fixed (byte* h = host)
        {
            var early = (nint)h;
            Assert.Contains("the host", Assert.Throws<InvalidOperationException>(() => device.CopyToHost((void*)early, x.Ptr, 256)).Message);
            using var done = device.CreateEvent();
            device.Record(done, s);
            Assert.True(device.Seen(null, s) < device.Enqueued(s));
            device.WaitHost(done);
            device.CopyToHost(h, x.Ptr, 256);
            // Work the host enqueues after its own comes after it.
            device.Fill(x.Ptr, 8, 256, s);
            device.Synchronize(s);
            device.CopyToHost(h, x.Ptr, 256);
        }
        Assert.All(host, v => Assert.Equal(8, v));
        Assert.Equal(device.Enqueued(s), device.Seen(null, s));
    }

    [Fact]
    public void AReplayedGraphRunsOnTheStreamItIsLaunchedOn()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var capture = device.CreateStream();
        using var a = device.CreateStream();
        using var b = device.CreateStream();
        using var x = device.Allocate(256);
        using var y = device.Allocate(256);
        using var graph = device.Capture(capture, () => device.CopyDeviceToDevice(y.Ptr, x.Ptr, 256, capture));
        device.Fill(x.Ptr, 1, 256, a);
        Assert.Throws<InvalidOperationException>(() => device.Replay(graph, b));
        device.Replay(graph, a);
        Assert.Equal(2, device.Enqueued(a));
    }
}
