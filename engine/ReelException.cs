namespace Reel.Engine;

/// <summary>
/// An error the user can cause and fix (bad file, wrong checkpoint, missing tool).
/// The message says what was wrong and what to do; the CLI prints it as one line.
/// </summary>
public class ReelException : Exception
{
    /// <summary>An error whose <paramref name="message"/> says what was wrong and what to do.</summary>
    public ReelException(string message) : base(message) { }

    /// <summary>As <see cref="ReelException(string)"/>, keeping the <paramref name="inner"/> exception that revealed it.</summary>
    public ReelException(string message, Exception inner) : base(message, inner) { }
}
