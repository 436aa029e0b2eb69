namespace Reel.Engine.Video;

/// <summary>Pixel layouts exchanged with ffmpeg over raw-video pipes.</summary>
public enum PixelFormat { Gray8, Rgb24 }
