using System.CommandLine;
using System.Text.RegularExpressions;
using Reel.Cli.Commands;

namespace Reel.Cli;

public static class Program
{
    /// <summary>Exit code for a command line that does not parse (sysexits EX_USAGE is 64; 2 is the shell convention).</summary>
    public const int UsageError = 2;

    public static int Main(string[] args)
    {
        var root = new RootCommand("Reel — restores old black-and-white footage: denoise (DnCNN), colorize, stabilize.");
        root.Subcommands.Add(RestoreCommand.Create());
        root.Subcommands.Add(DenoiseCommand.Create());
        root.Subcommands.Add(ColorizeCommand.Create());
        root.Subcommands.Add(StabilizeCommand.Create());
        root.Subcommands.Add(InferCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(WeightsCommand.Create());
        root.Subcommands.Add(KernelsCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(SelfTestCommand.Create());
        OwnArgumentsHelp.Apply(root);
        RefuseEmpty(root);
        var parsed = root.Parse(args);
        // A help request is answered whatever else the line lacks (System.CommandLine's own help action
        // is recognised by its type, which the wrapper hides, so it is let through here).
        if (parsed.Errors.Count > 0 && parsed.Action is not OwnArgumentsHelp)
        {
            // Usage mistakes get the same one-line form as every other user error.
            var command = string.Join(' ', OwnArgumentsHelp.Path(parsed.CommandResult.Command).Skip(1).Prepend("reel"));
            var said = $"{string.Join("; ", parsed.Errors.Select(e => Plain(e.Message)))} (see '{command} --help')";
            Console.Error.WriteLine($"reel: error: {said}");
            // Asked for the JSON stream (by a command that has one), a refused command line ends it as every other refusal
            // does: an empty path had no end line. Not beside --no-progress, which never has one (ProgressChoice.EndLine).
            if (parsed.CommandResult.Command.Options.Any(o => o.Name == "--progress") && !args.Contains("--no-progress")
                && args.Select((a, i) => a is "--progress=json" or "--progress:json" || (a == "--progress" && i + 1 < args.Length && args[i + 1] == "json")).Any(json => json))
                Console.Error.WriteLine(ProgressLines.End(UsageError, said, TimeSpan.Zero));
            return UsageError;
        }
        // SIGINT and SIGTERM are handled by StopSignal, not System.CommandLine, so the exit code can
        // say which came (130 or 143) and a command that does not stop in time is not waited for.
        return StopSignal.Run(stop => parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop));
    }

    /// <summary>
    /// System.CommandLine's message on one line, in a user's words: its list of choices came one a line,
    /// and a number it could not read was "expected type 'System.Nullable`1[System.Int32]'".
    /// </summary>
    internal static string Plain(string message)
    {
        var text = Regex.Replace(message.ReplaceLineEndings("\n"), @"\s*\n\s*", " ").Replace("' '", "', '");
        text = Regex.Replace(text, @" as expected type '[^']*(Int32|Int64)\]?'", " as a whole number");
        text = Regex.Replace(text, @" as expected type '[^']*(Single|Double)\]?'", " as a number");
        return text.TrimEnd('.');
    }

    /// <summary>
    /// Every text argument and option refuses "": an empty path reached .NET's file calls and came out as an
    /// "internal error … please report it", and an empty --loss-log did so only after the whole training. And
    /// one that is not UTF-8 (a file named in Latin-1): .NET reads its bytes as U+FFFD and no file of that name
    /// exists, so an input that was there was "not found".
    /// </summary>
    private static void RefuseEmpty(Command command)
    {
        static string? Unusable(IEnumerable<string> values, string name) =>
            values.Any(v => v.Length == 0) ? $"{name} is empty; give a value"
            : values.Any(v => v.Contains('\uFFFD')) ? $"{name} is not valid UTF-8 (a name in another encoding, such as Latin-1), which Reel cannot open; rename it"
            : null;
        foreach (var argument in command.Arguments.Where(a => a.ValueType == typeof(string)))
            argument.Validators.Add(r =>
            {
                if (Unusable(r.Tokens.Select(t => t.Value), $"<{argument.Name}>") is { } why) r.AddError(why);
            });
        foreach (var option in command.Options.Where(o => o.ValueType == typeof(string)))
            option.Validators.Add(r =>
            {
                if (Unusable(r.Tokens.Select(t => t.Value), option.Name) is { } why) r.AddError(why);
            });
        foreach (var sub in command.Subcommands) RefuseEmpty(sub);
    }
}
