namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// Splits a frame so a fully convolutional net with receptive-field radius <c>halo</c> fits a
/// device-memory budget, with results identical to the untiled run: every core pixel sees
/// the same inputs as in the whole frame because its window extends by the radius wherever
/// the frame does, and is clipped (zero padding) exactly where the frame ends. Used for
/// DnCNN at full resolution (radius = its depth: one pixel per 3×3 layer); the colorizer
/// runs at 256² and needs none.
/// </summary>
internal static class TilePlanner
{
    /// <summary>The tiles of a <paramref name="height"/> × <paramref name="width"/> frame, each window within <paramref name="budgetBytes"/>; one tile when the whole frame fits.</summary>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="halo">The net's receptive-field radius: how far a window reaches beyond its core.</param>
    /// <param name="bytesPerPixel">Device bytes per input-window pixel while the net runs (all live activations).</param>
    /// <param name="budgetBytes">Device memory the net may use in all.</param>
    /// <param name="fixedBytes">Bytes needed regardless of tile size (weights, workspace, the frame's own buffers).</param>
    public static IReadOnlyList<Tile> Plan(int height, int width, int halo, long bytesPerPixel, long budgetBytes, long fixedBytes = 0)
    {
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(nameof(height), "frame must not be empty");
        if (halo < 0 || bytesPerPixel < 1) throw new ArgumentOutOfRangeException(nameof(halo), "halo ≥ 0 and bytes per pixel ≥ 1");
        long available = budgetBytes - fixedBytes;
        if ((long)height * width * bytesPerPixel <= available) return new[] { new Tile(0, 0, height, width, 0, 0, height, width) };
        long windowPixels = available / bytesPerPixel;
        int side = (int)Math.Floor(Math.Sqrt(Math.Max(windowPixels, 0)));
        int core = side - 2 * halo;
        if (core < 1)
            throw new ReelException($"the GPU memory budget of {budgetBytes >> 20} MiB is too small for even a 1-pixel tile with a {halo}-pixel halo; raise it or use --device cpu");
        // Tiles as even as possible: the same number of tiles with the core spread evenly keeps
        // the last row and column from being slivers.
        int rows = (height + core - 1) / core, cols = (width + core - 1) / core;
        var tiles = new List<Tile>(rows * cols);
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
        {
            int y0 = (int)((long)height * r / rows), y1 = (int)((long)height * (r + 1) / rows);
            int x0 = (int)((long)width * c / cols), x1 = (int)((long)width * (c + 1) / cols);
            int iy0 = Math.Max(0, y0 - halo), iy1 = Math.Min(height, y1 + halo);
            int ix0 = Math.Max(0, x0 - halo), ix1 = Math.Min(width, x1 + halo);
            tiles.Add(new Tile(y0, x0, y1 - y0, x1 - x0, iy0, ix0, iy1 - iy0, ix1 - ix0));
        }
        return tiles;
    }
}
