namespace Reel.Engine.Models;

/// <summary>
/// How a stack of <see cref="Halo"/> 3×3 convolutions (zero-padded, stride 1) covers a frame in equal
/// windows of at most a given number of pixels, each window giving the frame the core it computes
/// exactly. A window's edge sees zeros where the frame has pixels, and each layer carries that one
/// pixel further in, so a window's output is exact from <see cref="Halo"/> pixels inside its edges,
/// and everywhere on an edge it shares with the frame. The cores partition the frame; all windows
/// have one shape, so a GPU runs one convolution plan for them all.
/// </summary>
public sealed record TileGrid(int Height, int Width, int Halo, int WindowHeight, int WindowWidth, IReadOnlyList<TileGrid.Tile> Tiles)
{
    /// <summary>One window's top-left in the frame and the core it gives (in frame coordinates, inside the window).</summary>
    public readonly record struct Tile(int Top, int Left, int CoreTop, int CoreLeft, int CoreHeight, int CoreWidth);

    /// <summary>The smallest window side a tiled axis takes: half its side is halo, so it costs at most 2× the work along that axis.</summary>
    public static int MinimumSide(int halo) => 4 * halo;

    /// <summary>Whether one window is the whole frame.</summary>
    public bool Whole => Tiles.Count == 1;

    /// <summary>The windows' pixels over the frame's: the work tiling costs (1 for the whole frame).</summary>
    public double Work => (double)Tiles.Count * WindowHeight * WindowWidth / ((double)Height * Width);

    /// <summary>
    /// The grid for a <paramref name="height"/>×<paramref name="width"/> frame whose windows hold at most
    /// <paramref name="maxPixels"/> pixels: the whole frame when it fits, else the rows × columns of
    /// windows that costs the least work (the fewest windows of those), each window just large enough
    /// for its core and halo. Throws when no window that small can have a core (a side of
    /// <see cref="MinimumSide"/> always can: the memory plan keeps above it).
    /// </summary>
    public static TileGrid For(int height, int width, int halo, long maxPixels)
    {
        if (height < 1 || width < 1 || halo < 0) throw new ArgumentOutOfRangeException(nameof(height), $"no tiles for a {height}×{width} frame with a halo of {halo}");
        (int Rows, int Columns, int WindowH, int WindowW)? best = null;
        long bestWork = long.MaxValue;
        int mostRows = (long)height * width <= maxPixels ? 1 : Math.Max(1, height - 2 * halo);
        for (int rows = 1; rows <= mostRows; rows++)
        {
            int windowH = Window(height, rows, halo);
            long widest = maxPixels / windowH;
            if (widest < Math.Min(width, 2 * halo + 1)) continue;
            int columns = widest >= width ? 1 : (width - 2 * halo + (int)widest - 2 * halo - 1) / ((int)widest - 2 * halo);
            int windowW = Window(width, columns, halo);
            long work = (long)rows * columns * windowH * windowW;
            if (work < bestWork || work == bestWork && rows * columns < best!.Value.Rows * best.Value.Columns)
                (best, bestWork) = ((rows, columns, windowH, windowW), work);
        }
        if (best is not { } b)
            throw new ReelException($"tiles of at most {maxPixels} pixels are too small for a {halo}-layer network on a {height}×{width} frame: " +
                                    $"a window must be over {2 * halo} pixels on a side");
        var tiles = new List<Tile>(b.Rows * b.Columns);
        foreach (var r in Axis(height, b.Rows, b.WindowH, halo))
        foreach (var c in Axis(width, b.Columns, b.WindowW, halo))
            tiles.Add(new Tile(r.Start, c.Start, r.CoreStart, c.CoreStart, r.CoreEnd - r.CoreStart, c.CoreEnd - c.CoreStart));
        return new TileGrid(height, width, halo, b.WindowH, b.WindowW, tiles);
    }

    /// <summary>The window side that <paramref name="count"/> windows along an axis need: the largest core and a halo either side, or the whole axis for one.</summary>
    private static int Window(int size, int count, int halo) => count == 1 ? size : (size - 2 * halo + count - 1) / count + 2 * halo;

    /// <summary>
    /// One axis in <paramref name="count"/> windows: the part of the frame more than a halo from both
    /// ends is split evenly into the cores, the first and last cores reach the frame's ends, and each
    /// window starts a halo before its core, moved inside the frame.
    /// </summary>
    private static List<(int Start, int CoreStart, int CoreEnd)> Axis(int size, int count, int window, int halo)
    {
        if (count == 1) return new() { (0, 0, size) };
        int middle = size - 2 * halo;
        var axis = new List<(int, int, int)>(count);
        for (int i = 0; i < count; i++)
        {
            int coreStart = i == 0 ? 0 : halo + (int)((long)middle * i / count);
            int coreEnd = i == count - 1 ? size : halo + (int)((long)middle * (i + 1) / count);
            axis.Add((Math.Clamp(coreStart - halo, 0, size - window), coreStart, coreEnd));
        }
        return axis;
    }
}
