using Reel.Engine.Backends.Cuda.Native;

namespace Reel.Tests.Cuda;

/// <summary>
/// A full device, on the emulator (its memory limit makes cuMemAlloc fail as a GPU's would): the pool
/// gives its idle buffers back before an allocation fails, and the budget for kept frames counts them
/// as free.
/// </summary>
public class DeviceMemoryTests
{
    [Fact]
    public void APoolGivesItsIdleBuffersBackWhenTheDeviceIsFull()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var gpu = EmulatedGpu.Backend(device);
        // Buffers of one size, given back: idle in the pool, still taken on the device.
        var idle = Enumerable.Range(0, 4).Select(_ => gpu.Pool.Rent(64 << 10)).ToList();
        idle.ForEach(gpu.Pool.Return);
        Assert.Equal(4L * (64 << 10), gpu.Pool.IdleBytes);
        int live = device.LiveAllocations;
        device.MemoryLimitBytes = 5L * (64 << 10);
        // Another size does not fit beside them: the pool frees them and the allocation is tried again.
        var other = gpu.Pool.Rent(128 << 10);
        Assert.Equal(0, gpu.Pool.IdleBytes);
        Assert.Equal(live - 4 + 1, device.LiveAllocations);
        // With nothing idle to free, the device's own error comes through.
        var full = Assert.Throws<CudaException>(() => gpu.Pool.Rent(512 << 10));
        Assert.Equal(Driver.CUDA_ERROR_OUT_OF_MEMORY, full.Status);
        gpu.Pool.Return(other);
        device.MemoryLimitBytes = null;
    }

    [Fact]
    public void TheBudgetForKeptFramesCountsIdleBuffersAsFree()
    {
        using var device = EmulatedGpu.OpenPrivate();
        using var gpu = EmulatedGpu.Backend(device);
        device.FreeMemoryBytes = 8L << 20;
        Assert.Equal(1L << 20, gpu.KeepBudget(long.MaxValue));
        Assert.Equal(1000, gpu.KeepBudget(1000));
        // A buffer a step used and gave back: the device counts it as taken, the pool would give it back.
        gpu.Pool.Return(gpu.Pool.Rent(4L << 20));
        Assert.Equal(4L << 20, gpu.Pool.IdleBytes);
        Assert.Equal((12L << 20) / 8, gpu.KeepBudget(long.MaxValue));
    }
}
