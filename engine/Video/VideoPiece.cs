namespace Reel.Engine.Video;

/// <summary>A separately encoded piece of a video: its file, its first frame's time and how many frames it holds.</summary>
public sealed record VideoPiece(string Path, long StartNs, int Frames);
