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
