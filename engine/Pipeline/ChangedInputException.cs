namespace Reel.Engine.Pipeline;

/// <summary>
/// A resume whose input decodes to other frames than the kept pieces were made from (<see cref="RestorePiece.InputSha256"/>):
/// every resume of it fails alike, so its advice is to start over, never the --resume a failed run's error otherwise gives.
/// </summary>
public sealed class ChangedInputException : ReelException
{
    /// <summary>The frames that differ, and what to do.</summary>
    public ChangedInputException(string message) : base(message) { }
}
