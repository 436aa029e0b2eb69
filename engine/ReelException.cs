namespace Reel.Engine;

/// <summary>
/// An error the user can cause and fix (bad file, wrong checkpoint, missing tool).
/// The message says what was wrong and what to do; the CLI prints it as one line.
/// </summary>
public class ReelException : Exception
{
    /// <summary>An error whose <paramref name="message"/> says what was wrong and what to do.</summary>
    public ReelException(string message) : base(message) { }
    /// <summary>As <see cref="ReelException(string)"/>, caused by <paramref name="inner"/>.</summary>
    public ReelException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A checkpoint or tensor file that cannot be read or does not fit the model.</summary>
public sealed class CheckpointException : ReelException
{
    /// <summary>A checkpoint error whose <paramref name="message"/> names the file and what is wrong with it.</summary>
    public CheckpointException(string message) : base(message) { }
    /// <summary>As <see cref="CheckpointException(string)"/>, caused by <paramref name="inner"/>.</summary>
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>An image or video that ffmpeg cannot read or write, or ffmpeg itself missing.</summary>
public sealed class MediaException : ReelException
{
    /// <summary>A media error whose <paramref name="message"/> names the file or tool and what to do.</summary>
    public MediaException(string message) : base(message) { }
}
