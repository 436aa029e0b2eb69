namespace Reel.Engine;

/// <summary>A checkpoint or tensor file that cannot be read or does not fit the model.</summary>
public sealed class CheckpointException : ReelException
{
    public CheckpointException(string message) : base(message) { }
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}
