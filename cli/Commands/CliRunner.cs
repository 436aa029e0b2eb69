using Reel.Engine;

namespace Reel.Cli.Commands;

/// <summary>
/// Runs a command body and turns every error into one line on stderr and a non-zero exit:
/// 1 for errors the user can fix, 2 for options that cannot go together or are out of range (as for a
/// command line that does not parse), 70 (EX_SOFTWARE) for bugs. REEL_DEBUG=1 adds the stack trace.
/// </summary>
public static class CliRunner
{
    public const int UserError = 1;
    public const int InternalError = 70;
    /// <param name="cancel">
    /// Cancelled by Ctrl-C/SIGTERM (<see cref="StopSignal"/>): whatever the body throws then is reported as an
    /// interruption, with exit code 128 + the signal's number.
    /// </param>
    /// <param name="whatIsKept">Says, after an interruption, what was kept and how to continue.</param>
    /// <param name="ended">
    /// Makes, from the exit code and what was said of the outcome (the error's text, the interruption's line; null on
    /// success), `--progress json`'s end line (<see cref="ProgressChoice.EndLine"/>), which <see cref="StopSignal.End"/>
    /// writes after everything else, or a forced stop's, when that comes first.
    /// </param>
    public static int Run(Func<int> body, CancellationToken cancel = default, Func<string>? whatIsKept = null, Func<int, string?, string>? ended = null)
    {
        StopSignal.EndWith(ended);
        var (code, said) = Outcome(body, cancel, whatIsKept);
        StopSignal.End(code, said);
        return code;
    }

    private static (int Code, string? Said) Outcome(Func<int> body, CancellationToken cancel, Func<string>? whatIsKept)
    {
        try
        {
            return (body(), null);
        }
        catch (Exception e) when (cancel.IsCancellationRequested)
        {
            // ffmpeg children get the terminal's Ctrl-C too, so the first error seen may be theirs.
            var said = $"interrupted by {StopSignal.Name ?? "a signal"}; {whatIsKept?.Invoke() ?? "nothing was written"}";
            Console.Error.WriteLine($"reel: {said}");
            if (Environment.GetEnvironmentVariable("REEL_DEBUG") == "1") Console.Error.WriteLine(e);
            return (StopSignal.ExitCode, said);
        }
        catch (UsageException e)
        {
            return Fail(e.Message, e, Program.UsageError);
        }
        catch (ReelException e)
        {
            return Fail(e.Message, e, UserError);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message, e, UserError);
        }
        catch (OutOfMemoryException e)
        {
            // The heap is capped from --memory-mb (MemoryCap): running out is a budget set too low, or a machine too small.
            return Fail($"out of memory ({e.Message}); raise --memory-mb or free memory{(whatIsKept is null ? "" : $"; {whatIsKept()}")}", e, UserError);
        }
        catch (Exception e)
        {
            return Fail($"internal error ({e.GetType().Name}): {e.Message} — please report it", e, InternalError);
        }
    }

    private static (int, string) Fail(string message, Exception e, int code)
    {
        var said = message.ReplaceLineEndings(" ");
        Console.Error.WriteLine($"reel: error: {said}");
        if (Environment.GetEnvironmentVariable("REEL_DEBUG") == "1") Console.Error.WriteLine(e);
        return (code, said);
    }
}
