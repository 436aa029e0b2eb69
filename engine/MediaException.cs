namespace Reel.Engine;

/// <summary>An image or video that ffmpeg cannot read or write, or ffmpeg itself missing.</summary>
public sealed class MediaException : ReelException
{
    /// <summary>A media error whose <paramref name="message"/> names the file or tool and what went wrong.</summary>
    public MediaException(string message) : base(message) { }
}
