using System.CommandLine;
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
        var parsed = root.Parse(args);
        // A help request is answered whatever else the line lacks (System.CommandLine's own help action
        // is recognised by its type, which the wrapper hides, so it is let through here).
        if (parsed.Errors.Count > 0 && parsed.Action is not OwnArgumentsHelp)
        {
            // Usage mistakes get the same one-line form as every other user error.
            var command = string.Join(' ', OwnArgumentsHelp.Path(parsed.CommandResult.Command).Skip(1));
            Console.Error.WriteLine($"reel: error: {string.Join("; ", parsed.Errors.Select(e => e.Message.TrimEnd('.')))} (see 'reel {command} --help')".Replace("  ", " "));
            return UsageError;
        }
        // SIGINT and SIGTERM are handled by StopSignal, not System.CommandLine, so the exit code can
        // say which came (130 or 143) and a command that does not stop in time is not waited for.
        return StopSignal.Run(stop => parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, stop));
    }
}
