using System.CommandLine;
using Reel.Engine;

namespace Reel.Cli.Commands;

/// <summary>
/// The options a command line gave, not left to their defaults: what a command refuses, naming them, rather than
/// drops without a word when the run would not use them.
/// </summary>
public static class GivenOptions
{
    /// <summary>The names of the options in <paramref name="options"/> that <paramref name="r"/> gave, in that order.</summary>
    public static List<string> Names(ParseResult r, IEnumerable<Option> options) =>
        options.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();

    /// <summary>
    /// Refuses the options in <paramref name="options"/> that were given, naming them and <paramref name="why"/> they are
    /// not used: each was accepted and dropped without a word (--temporal flow --epochs 5 trained nothing).
    /// </summary>
    public static void RefuseUnused(ParseResult r, IEnumerable<Option> options, string why)
    {
        var given = Names(r, options);
        if (given.Count > 0)
            throw new UsageException($"{string.Join(", ", given)} {(given.Count == 1 ? "is" : "are")} not used: {why}; drop {(given.Count == 1 ? "it" : "them")}");
    }
}
