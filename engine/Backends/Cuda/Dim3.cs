namespace Reel.Engine.Backends.Cuda;

/// <summary>A CUDA dim3: the extent of a grid (in blocks) or of a block (in threads) along x, y and z.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    /// <summary>X·Y·Z: the blocks of a grid or the threads of a block; 0 for an empty launch.</summary>
    public ulong Volume => (ulong)X * Y * Z;
}
