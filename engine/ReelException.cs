namespace Reel.Engine;

/// <summary>
/// An error the user can cause and fix (bad file, wrong checkpoint, missing tool).
/// The message says what was wrong and what to do; the CLI prints it as one line.
/// </summary>
public class ReelException : Exception
{
    public ReelException(string message) : base(message) { }
    public ReelException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A checkpoint or tensor file that cannot be read or does not fit the model.</summary>
public sealed class CheckpointException : ReelException
{
    public CheckpointException(string message) : base(message) { }
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>An image or video that ffmpeg cannot read or write, or ffmpeg itself missing.</summary>
public sealed class MediaException : ReelException
{
    public MediaException(string message) : base(message) { }
}
