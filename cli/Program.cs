using System.CommandLine;
using Reel.Cli.Commands;

namespace Reel.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Reel — restores old black-and-white footage: denoise (DnCNN), colorize, stabilize.");
        root.Subcommands.Add(DenoiseCommand.Create());
        root.Subcommands.Add(InferCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        return root.Parse(args).Invoke();
    }
}
