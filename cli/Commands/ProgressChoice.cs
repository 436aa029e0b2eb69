using System.CommandLine;
using Reel.Engine;

namespace Reel.Cli.Commands;

/// <summary>How progress reaches stderr.</summary>
public enum ProgressMode
{
    /// <summary>A Spectre bar per stage, redrawn in place (terminals only).</summary>
    Bar,
    /// <summary>Lines for a log: a stage's first and last, each 10 % of it, and at least one a minute.</summary>
    Plain,
    /// <summary>One JSON object per line for programs (README: "Progress as JSON").</summary>
    Json,
}

/// <summary>
/// `--progress bar|plain|json` and the older `--no-progress` (plain, which scripts and the README
/// use), shared by the commands that run over many frames.
/// </summary>
public sealed class ProgressChoice
{
    /// <summary>Both options, to add to a command.</summary>
    public ProgressChoice()
    {
        Progress = new Option<string?>("--progress")
        {
            Description = "bar (the default on a terminal), plain (log lines with rates and the ETA; the default when stderr is not a terminal) " +
                          "or json (one object per line on stderr, for programs)",
        };
        Progress.AcceptOnlyFromAmong("bar", "plain", "json");
        NoProgress = new Option<bool>("--no-progress") { Description = "Same as --progress plain" };
    }

    /// <summary>`--progress bar|plain|json`; unset means bar on a terminal, else plain.</summary>
    public Option<string?> Progress { get; }

    /// <summary>`--no-progress`, kept for the scripts that use it: plain lines.</summary>
    public Option<bool> NoProgress { get; }

    /// <summary>
    /// With `--progress json`, what makes the run's last line, `end`, which <see cref="StopSignal.End"/> writes once the command
    /// is over whatever happened (<see cref="CliRunner.Run"/>): a scheduler reading only the stream learns that it ended and how.
    /// Not beside --no-progress, which <see cref="Resolve"/> refuses as contradicting it.
    /// </summary>
    public Func<int, string?, string>? EndLine(ParseResult r) => r.GetValue(Progress) == "json" && !r.GetValue(NoProgress)
        ? (exit, said) => ProgressLines.End(exit, said, RunClock.Elapsed)
        : null;

    /// <summary>What the command line asks for; a bar only where stderr is a terminal that can redraw it.</summary>
    public ProgressMode Resolve(ParseResult r)
    {
        string? asked = r.GetValue(Progress);
        if (r.GetValue(NoProgress) && asked is not null and not "plain")
            throw new UsageException($"--no-progress means --progress plain; it cannot go with --progress {asked}");
        return asked switch
        {
            "json" => ProgressMode.Json,
            "plain" => ProgressMode.Plain,
            _ when r.GetValue(NoProgress) || Console.IsErrorRedirected => ProgressMode.Plain,
            _ => ProgressMode.Bar,
        };
    }
}
