namespace Reel.Engine.Video;

/// <summary>Pixel layouts exchanged with ffmpeg over raw-video pipes.</summary>
public enum PixelFormat
{
    /// <summary>One byte per pixel, luma (ffmpeg's "gray").</summary>
    Gray8,
    /// <summary>Three bytes per pixel, R, G, B (ffmpeg's "rgb24").</summary>
    Rgb24,
}
