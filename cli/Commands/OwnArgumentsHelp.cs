using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Reel.Cli.Commands;

/// <summary>
/// Help pages of subcommands under a command that takes arguments (`reel restore plan`, `run`,
/// `join`) with only their own arguments: System.CommandLine's usage line and argument list also
/// show the parent's (`reel restore &lt;input&gt; &lt;output&gt; plan …`), which these subcommands do not
/// take. The parents' arguments are hidden for the page being written (the process ends after it).
/// </summary>
internal sealed class OwnArgumentsHelp(HelpAction help) : SynchronousCommandLineAction
{
    /// <summary>Wraps the root's help action.</summary>
    public static void Apply(RootCommand root)
    {
        var option = root.Options.OfType<HelpOption>().Single();
        option.Action = new OwnArgumentsHelp((HelpAction)option.Action!);
    }

    /// <summary>The command's names from the root down ("reel", "restore", "plan").</summary>
    public static IEnumerable<string> Path(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault()) names.Add(c.Name);
        names.Reverse();
        return names;
    }

    /// <inheritdoc/>
    public override int Invoke(ParseResult parseResult)
    {
        foreach (var parent in parseResult.CommandResult.Command.Parents.OfType<Command>())
            Hide(parent);
        return help.Invoke(parseResult);
    }

    private static void Hide(Command command)
    {
        foreach (var argument in command.Arguments) argument.Hidden = true;
        foreach (var parent in command.Parents.OfType<Command>()) Hide(parent);
    }
}
