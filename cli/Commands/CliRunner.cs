using Reel.Engine;

namespace Reel.Cli.Commands;

/// <summary>
/// Runs a command body and turns every error into one line on stderr and a non-zero exit:
/// 1 for errors the user can fix, 70 (EX_SOFTWARE) for bugs. REEL_DEBUG=1 adds the stack trace.
/// </summary>
public static class CliRunner
{
    public const int UserError = 1;
    public const int InternalError = 70;
    /// <summary>128 + SIGINT, what shells expect of a program stopped by Ctrl-C.</summary>
    public const int Interrupted = 130;

    /// <param name="cancel">Cancelled by Ctrl-C/SIGTERM: whatever the body throws then is reported as an interruption.</param>
    /// <param name="whatIsKept">Says, after an interruption, what was kept and how to continue.</param>
    public static int Run(Func<int> body, CancellationToken cancel = default, Func<string>? whatIsKept = null)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (cancel.IsCancellationRequested)
        {
            // ffmpeg children get the terminal's Ctrl-C too, so the first error seen may be theirs.
            Console.Error.WriteLine($"reel: interrupted; {whatIsKept?.Invoke() ?? "nothing was written"}");
            if (Environment.GetEnvironmentVariable("REEL_DEBUG") == "1") Console.Error.WriteLine(e);
            return Interrupted;
        }
        catch (ReelException e)
        {
            return Fail(e.Message, e, UserError);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message, e, UserError);
        }
        catch (Exception e)
        {
            return Fail($"internal error ({e.GetType().Name}): {e.Message} — please report it", e, InternalError);
        }
    }

    private static int Fail(string message, Exception e, int code)
    {
        Console.Error.WriteLine($"reel: error: {message.ReplaceLineEndings(" ")}");
        if (Environment.GetEnvironmentVariable("REEL_DEBUG") == "1") Console.Error.WriteLine(e);
        return code;
    }
}
