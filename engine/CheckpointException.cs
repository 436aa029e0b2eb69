namespace Reel.Engine;

/// <summary>A checkpoint or tensor file that cannot be read or does not fit the model.</summary>
public sealed class CheckpointException : ReelException
{
    /// <summary>A checkpoint error whose <paramref name="message"/> names the file and what does not fit.</summary>
    public CheckpointException(string message) : base(message) { }

    /// <summary>As <see cref="CheckpointException(string)"/>, keeping the <paramref name="inner"/> exception the reader raised.</summary>
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}
