namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// One launch's grid, block and dynamic shared memory, and how Reel's kernels are launched.
/// Element-wise kernels use grid-stride loops, so the grid is capped (enough blocks to fill any
/// current GPU several times over) and every n is still covered; the limits are CUDA's (1024 threads per block, grid.y and grid.z ≤ 65535).
/// </summary>
public readonly record struct LaunchGeometry(Dim3 Grid, Dim3 Block, uint SharedBytes = 0)
{
    /// <summary>Threads per block of an element-wise launch unless its caller asks otherwise.</summary>
    public const int DefaultBlock = 256;
    /// <summary>132 SMs (H100 SXM) × 2048 resident threads / 256 = 1056 blocks fill an H100 once; 4× that hides tails.</summary>
    public const int MaxLinearBlocks = 4224;
    /// <summary>The side of layout.cu's shared-memory tile (its REEL_TILE).</summary>
    public const int TransposeTile = 32;

    /// <summary>CUDA's largest grid.y and grid.z.</summary>
    public const uint MaxGridYZ = 65535;

    /// <summary>A launch with no blocks, which the devices skip (CUDA refuses a zero grid).</summary>
    public bool IsEmpty => Grid.Volume == 0;

    /// <summary>
    /// n independent elements, one per thread, grid-stride beyond the cap; empty when n = 0. Fewer
    /// elements than a block get one block of the next power of two from 32 (a warp), not idle threads.
    /// </summary>
    public static LaunchGeometry Linear(long n, int block = DefaultBlock, int frames = 1)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "element count must be ≥ 0");
        CheckBlock(block);
        while (block > 32 && block / 2 >= n) block /= 2;
        if (frames < 1 || frames > MaxGridYZ) throw new ArgumentOutOfRangeException(nameof(frames), frames, $"1 to {MaxGridYZ} frames per launch");
        long blocks = Math.Min((n + block - 1) / block, MaxLinearBlocks);
        return new(new Dim3((uint)blocks, (uint)frames), new Dim3((uint)block));
    }

    /// <summary>The shared-memory transpose of layout.cu: 32×32 tiles of (C, HW), block (32, 8), grid.z = frames.</summary>
    public static LaunchGeometry Transpose(int channels, int hw, int frames)
    {
        if (channels < 0 || hw < 0) throw new ArgumentOutOfRangeException(nameof(hw), "sizes must be ≥ 0");
        if ((channels + TransposeTile - 1) / TransposeTile > MaxGridYZ || frames > MaxGridYZ)
            throw new ArgumentOutOfRangeException(nameof(channels), "too many channels or frames for one launch");
        return new(new Dim3((uint)((hw + TransposeTile - 1) / TransposeTile), (uint)((channels + TransposeTile - 1) / TransposeTile),
            channels == 0 || hw == 0 ? 0u : (uint)frames), new Dim3(TransposeTile, 8));
    }

    private static void CheckBlock(int block)
    {
        if (block < 32 || block > 1024 || (block & (block - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(block), block, "block size must be a power of two from 32 to 1024");
    }
}
