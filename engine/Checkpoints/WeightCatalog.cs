using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reel.Engine.Checkpoints;

/// <summary>
/// The official checkpoints (weights/manifest.json, embedded) and the cache folder they live in:
/// REEL_WEIGHTS, else $XDG_CACHE_HOME/reel/weights, else ~/.cache/reel/weights. Downloads go to a
/// temporary file and are renamed only after their hash checks out.
/// </summary>
public static class WeightCatalog
{
    internal sealed record Manifest([property: JsonPropertyName("weights")] List<WeightEntry> Weights);

    private static readonly Lazy<IReadOnlyList<WeightEntry>> All = new(() =>
    {
        using var s = typeof(WeightCatalog).Assembly.GetManifestResourceStream("Reel.Engine.weights.manifest.json")
                      ?? throw new InvalidOperationException("weights manifest is not embedded");
        return JsonSerializer.Deserialize(s, EngineJson.Default.Manifest)!.Weights;
    });

    /// <summary>Every checkpoint the manifest lists.</summary>
    public static IReadOnlyList<WeightEntry> Entries => All.Value;

    /// <summary>Where fetched checkpoints live: REEL_WEIGHTS, else $XDG_CACHE_HOME/reel/weights, else ~/.cache/reel/weights.</summary>
    public static string CacheDir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("REEL_WEIGHTS");
            // A checkpoint's own path is the easy slip: every lookup then said the weights "are not in" that file.
            if (File.Exists(env))
                throw new ReelException($"REEL_WEIGHTS is a file ({env}); it names the folder that holds the checkpoints: set it to {Path.GetDirectoryName(Path.GetFullPath(env))}, or give the file to --denoiser or --colorizer");
            if (!string.IsNullOrEmpty(env)) return env;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "reel", "weights");
            // DoNotVerify: a HOME that does not exist yet gave "", and the cache became .cache/reel/weights in whatever folder reel ran from.
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(home)) throw new ReelException("no folder for the weights cache: set REEL_WEIGHTS (or HOME, or XDG_CACHE_HOME)");
            return Path.Combine(home, ".cache", "reel", "weights");
        }
    }

    /// <summary>The manifest entry called <paramref name="name"/>; an unknown name is a <see cref="ReelException"/> listing the known ones.</summary>
    public static WeightEntry Get(string name) =>
        Entries.FirstOrDefault(e => e.Name == name)
        ?? throw new UsageException($"unknown weights '{name}'; known: {string.Join(", ", Entries.Select(e => e.Name))}");

    /// <summary>Where <paramref name="e"/>'s file is, or would be, in the cache.</summary>
    public static string PathOf(WeightEntry e) => Path.Combine(CacheDir, e.File);

    /// <summary>
    /// The cached file, or an error that names it, its URL, where to put it, and the switch that
    /// goes on without the stage (--no-denoise, --no-colorize: the stage's name), so that an offline
    /// machine learns it can still restore.
    /// </summary>
    public static string Require(WeightEntry e, string optionName)
    {
        var path = PathOf(e);
        if (File.Exists(path)) return path;
        throw new ReelException($"{e.Stage} weights {e.File} are not in {CacheDir}: run `reel weights fetch {e.Name}`, " +
                                $"or download {e.Url} there yourself (offline machines), or pass {optionName} PATH, or --no-{e.Stage} to restore without it");
    }

    /// <summary>Whether a file matches the manifest: full sha256 where known, else the published prefix, else the size.</summary>
    public static (bool Ok, string Detail) Verify(WeightEntry e, string path)
    {
        if (!File.Exists(path)) return (false, "missing");
        string hash;
        using (var f = File.OpenRead(path)) hash = Convert.ToHexStringLower(SHA256.HashData(f));
        if (e.Sha256 is not null) return hash == e.Sha256 ? (true, "sha256 ok") : (false, $"sha256 {hash} ≠ {e.Sha256}");
        if (e.Sha256Prefix is not null)
            return hash.StartsWith(e.Sha256Prefix, StringComparison.Ordinal) ? (true, $"sha256 prefix {e.Sha256Prefix} ok (full hash unpublished)") : (false, $"sha256 {hash} does not start with {e.Sha256Prefix}");
        if (e.Size is { } size && new FileInfo(path).Length != size) return (false, $"size {new FileInfo(path).Length} ≠ {size}");
        return (true, $"no published hash; sha256 {hash[..16]}…");
    }

    /// <summary>Downloads an entry into the cache (temporary file, hash check, rename).</summary>
    public static async Task<string> FetchAsync(WeightEntry e, Action<long, long?>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(CacheDir);
        var target = PathOf(e);
        var tmp = target + $".{Guid.NewGuid():N}.part";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            using var response = await http.GetAsync(e.Url, HttpCompletionOption.ResponseHeadersRead, cancel);
            response.EnsureSuccessStatusCode();
            long? total = response.Content.Headers.ContentLength;
            await using (var src = await response.Content.ReadAsStreamAsync(cancel))
            await using (var dst = File.Create(tmp))
            {
                var buffer = new byte[1 << 20];
                long done = 0;
                int n;
                while ((n = await src.ReadAsync(buffer, cancel)) > 0)
                {
                    await dst.WriteAsync(buffer.AsMemory(0, n), cancel);
                    progress?.Invoke(done += n, total);
                }
            }
            var (ok, detail) = Verify(e, tmp);
            if (!ok) throw new ReelException($"downloaded {e.File} does not match the manifest ({detail}); not installed");
            File.Move(tmp, target, overwrite: true);
            return target;
        }
        catch (HttpRequestException ex)
        {
            throw new ReelException($"cannot download {e.Url} ({ex.Message}); offline? download it by other means and put it at {target}");
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
