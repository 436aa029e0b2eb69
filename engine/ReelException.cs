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

/// <summary>
/// A request that cannot be carried out whatever the files: an option's value out of range, or options that
/// contradict each other. The CLI exits 2 for it, as for a command line that does not parse, so a scheduler can
/// tell a job to fix from one to retry; the C ABI reports it as any <see cref="ReelException"/>.
/// </summary>
public sealed class UsageException(string message) : ReelException(message);
