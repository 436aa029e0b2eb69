namespace Reel.Engine;

/// <summary>An image or video that ffmpeg cannot read or write, or ffmpeg itself missing.</summary>
public sealed class MediaException : ReelException
{
    public MediaException(string message) : base(message) { }
}
