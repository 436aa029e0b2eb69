namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// One tile of a frame: the core it produces (Y, X, Height, Width) and the input window it
/// reads (the core grown by the halo, clipped to the frame).
/// </summary>
public readonly record struct Tile(int Y, int X, int Height, int Width, int InY, int InX, int InHeight, int InWidth)
{
    /// <summary>The row where the core starts inside the input window.</summary>
    public int CoreOffsetY => Y - InY;

    /// <summary>The column where the core starts inside the input window.</summary>
    public int CoreOffsetX => X - InX;
}
