using System.CommandLine;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Spectre.Console;

namespace Reel.Cli.Commands;

/// <summary>`reel weights list|fetch|verify`: the official checkpoints and the local cache.</summary>
public static class WeightsCommand
{
    public static Command Create()
    {
        var weights = new Command("weights", "The official checkpoints Reel knows, and the cache folder (REEL_WEIGHTS or ~/.cache/reel/weights).");

        var list = new Command("list", "Show every known checkpoint, its source and whether it is cached.");
        list.SetAction(_ => CliRunner.Run(() =>
        {
            if (Console.IsOutputRedirected)
            {
                // Scripts get one tab-separated line per checkpoint, never wrapped.
                foreach (var e in WeightCatalog.Entries)
                    Console.WriteLine(string.Join('\t', e.Name, e.Stage, WeightCatalog.PathOf(e), File.Exists(WeightCatalog.PathOf(e)) ? "cached" : "missing", e.Url));
                return 0;
            }
            var table = new Table().Title($"weights cache: {Markup.Escape(WeightCatalog.CacheDir)}")
                .AddColumn("name").AddColumn("stage").AddColumn("file").AddColumn("cached").AddColumn("hash known");
            foreach (var e in WeightCatalog.Entries)
                table.AddRow(e.Name, e.Stage, Markup.Escape(e.File), File.Exists(WeightCatalog.PathOf(e)) ? "yes" : "no",
                    e.Sha256 is not null ? "sha256" : e.Sha256Prefix is not null ? $"prefix {e.Sha256Prefix}" : "no");
            AnsiConsole.Write(table);
            return 0;
        }));

        var names = new Argument<string[]>("names") { Description = "Names from `reel weights list`, or 'all'", Arity = ArgumentArity.OneOrMore };
        var fetch = new Command("fetch", "Download checkpoints into the cache (hash-checked, atomic).") { names };
        fetch.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            // One checkpoint that cannot be fetched (a host down, a bad file) does not keep the others
            // from the cache: each is tried, and the failures are summed up at the end.
            var chosen = Select(r.GetValue(names)!);
            var failed = new List<string>();
            foreach (var e in chosen)
            {
                try
                {
                    FetchOne(e, cancel);
                }
                catch (Exception ex) when (!cancel.IsCancellationRequested && ex is ReelException or IOException or UnauthorizedAccessException or TaskCanceledException)
                {
                    Console.Error.WriteLine($"{e.Name}: {(ex is TaskCanceledException ? $"the download from {e.Url} timed out" : ex.Message)}");
                    failed.Add(e.Name);
                }
            }
            if (failed.Count > 0)
                throw new ReelException($"{failed.Count} of {chosen.Count} checkpoints not fetched: {string.Join(", ", failed)}");
            return 0;
        })));

        var optionalNames = new Argument<string[]>("names") { Description = "Names to check (default: every cached one)", Arity = ArgumentArity.ZeroOrMore };
        var verify = new Command("verify", "Check cached checkpoints against the manifest's hashes.") { optionalNames };
        verify.SetAction(r => CliRunner.Run(() =>
        {
            var chosen = r.GetValue(optionalNames) is { Length: > 0 } n ? Select(n) : WeightCatalog.Entries.Where(e => File.Exists(WeightCatalog.PathOf(e))).ToList();
            if (chosen.Count == 0) Console.WriteLine($"no checkpoint is cached in {WeightCatalog.CacheDir}: `reel weights fetch all` fetches them");
            bool allOk = true;
            foreach (var e in chosen)
            {
                var (ok, detail) = Check(e);
                Console.WriteLine($"{e.Name}: {(ok ? "ok" : "FAILED")} — {detail}");
                allOk &= ok;
            }
            if (!allOk) throw new ReelException("some checkpoints do not match the manifest; fetch them again");
            return 0;
        }));

        weights.Subcommands.Add(list);
        weights.Subcommands.Add(fetch);
        weights.Subcommands.Add(verify);
        return weights;
    }

    private static void FetchOne(WeightEntry e, CancellationToken cancel)
    {
        if (File.Exists(WeightCatalog.PathOf(e)) && Check(e).Ok)
        {
            Console.Error.WriteLine($"{e.Name}: already cached at {WeightCatalog.PathOf(e)}");
            return;
        }
        Console.Error.WriteLine($"{e.Name}: downloading {e.Url}");
        var path = WeightCatalog.FetchAsync(e, null, cancel).GetAwaiter().GetResult();
        if (Check(e) is { Ok: false } bad)
        {
            File.Delete(path);
            throw new ReelException($"the download from {e.Url} is not a checkpoint Reel loads ({bad.Detail}); it was deleted");
        }
        Console.Error.WriteLine($"{e.Name}: saved {path}");
    }

    private static List<WeightEntry> Select(string[] names) =>
        names.Contains("all") ? WeightCatalog.Entries.ToList() : names.Select(WeightCatalog.Get).ToList();

    /// <summary>
    /// The manifest's hash check; where the manifest publishes no hash (dncnn_gray_blind, restore's default denoiser), the
    /// checkpoint is loaded as its stage's network, so a truncated or wrong file fails here rather than at a restore's start.
    /// </summary>
    private static (bool Ok, string Detail) Check(WeightEntry e)
    {
        var path = WeightCatalog.PathOf(e);
        var (ok, detail) = WeightCatalog.Verify(e, path);
        if (!ok || e.Sha256 is not null || e.Sha256Prefix is not null) return (ok, detail);
        try
        {
            if (e.Stage == "colorize")
                using (Colorizer.Load(path, FastBackend.Instance)) { }
            else
                using (DnCnn.Load(path, FastBackend.Instance)) { }
            return (true, $"{detail}, loads as a {(e.Stage == "colorize" ? "colorizer" : "DnCNN")}");
        }
        catch (ReelException x)
        {
            return (false, $"{detail}, does not load: {x.Message}");
        }
    }
}
