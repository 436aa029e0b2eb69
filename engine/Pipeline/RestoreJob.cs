using System.Text.Json;

namespace Reel.Engine.Pipeline;

/// <summary>A finished piece of the output: frames [Start, End), first frame at StartNs, stored in File (video) or as frames.</summary>
public sealed record RestorePiece(int Start, int End, long StartNs, string? File);

/// <summary>
/// The progress of one restore, kept on disk so nothing finished is lost to a crash or Ctrl-C:
/// a hidden work folder beside the output (<c>.NAME.reel-work</c>) holding the finished pieces and
/// <c>job.json</c>, which lists them with the settings they were made with. The record is
/// rewritten atomically after each piece, so it only ever names complete pieces. A run with
/// resume continues after the last piece when the settings match; the folder goes away when the
/// output is in place.
/// </summary>
public sealed class RestoreJob
{
    private const string StateFile = "job.json";
    private readonly List<RestorePiece> _pieces;
    private readonly SortedDictionary<string, string> _settings;

    private RestoreJob(string folder, SortedDictionary<string, string> settings, List<RestorePiece> pieces)
    {
        (Folder, _settings, _pieces) = (folder, settings, pieces);
    }

    public string Folder { get; }
    public IReadOnlyList<RestorePiece> Pieces => _pieces;
    /// <summary>Frames already in finished pieces: a resumed run starts at this frame.</summary>
    public int FramesDone => _pieces.Count == 0 ? 0 : _pieces[^1].End;

    public static string FolderFor(string output)
    {
        var full = Path.GetFullPath(output.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.reel-work");
    }

    /// <summary>
    /// Starts a job for <paramref name="output"/>, or continues the interrupted one when
    /// <paramref name="resume"/> is set and it was made with the same <paramref name="settings"/>.
    /// An unfinished job is never thrown away silently: without resume it is an error that says what to do.
    /// </summary>
    public static RestoreJob Open(string output, IReadOnlyDictionary<string, string> settings, bool resume)
    {
        var folder = FolderFor(output);
        var wanted = new SortedDictionary<string, string>(settings.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
        var statePath = Path.Combine(folder, StateFile);
        if (Directory.Exists(folder) && File.Exists(statePath))
        {
            var saved = Load(statePath);
            if (!resume)
                throw new ReelException($"an interrupted restore of {output} is in {folder} ({saved.Pieces.Sum(p => p.End - p.Start)} frames done); " +
                                        "add --resume to continue it, or delete that folder to start over");
            var differing = wanted.Keys.Union(saved.Settings.Keys)
                .Where(k => !wanted.TryGetValue(k, out var a) || !saved.Settings.TryGetValue(k, out var b) || a != b).ToList();
            if (differing.Count > 0)
                throw new ReelException($"cannot resume: {string.Join(", ", differing)} differ from the interrupted run in {folder}; " +
                                        "use the same input and options, or delete that folder to start over");
            return new RestoreJob(folder, wanted, saved.Pieces.ToList());
        }
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var job = new RestoreJob(folder, wanted, new List<RestorePiece>());
        job.Save();
        return job;
    }

    public string PiecePath(int index, string extension) => Path.Combine(Folder, $"piece-{index:D5}{extension}");

    /// <summary>Records a finished piece; from now on a resumed run keeps it.</summary>
    public void Add(RestorePiece piece)
    {
        if (piece.Start != FramesDone) throw new InvalidOperationException($"piece starts at {piece.Start}, expected {FramesDone}");
        _pieces.Add(piece);
        Save();
    }

    /// <summary>Removes the work folder (after the output is in place, or when nothing was finished).</summary>
    public void Delete()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }

    private void Save() => TempFile.WriteAtomically(Path.Combine(Folder, StateFile),
        tmp => File.WriteAllText(tmp, JsonSerializer.Serialize(new State(1, _settings, _pieces), EngineJson.Default.State)));

    private static State Load(string path)
    {
        try
        {
            var state = JsonSerializer.Deserialize(File.ReadAllText(path), EngineJson.Default.State);
            if (state is not { Version: 1, Settings: not null, Pieces: not null })
                throw new ReelException($"{path} is not a restore record this version of reel understands; delete its folder to start over");
            int expected = 0;
            foreach (var p in state.Pieces)
            {
                if (p.Start != expected || p.End <= p.Start)
                    throw new ReelException($"{path} lists pieces out of order; delete its folder to start over");
                expected = p.End;
            }
            return state;
        }
        catch (JsonException)
        {
            throw new ReelException($"{path} is damaged; delete its folder to start over");
        }
    }

    internal sealed record State(int Version, IDictionary<string, string> Settings, IReadOnlyList<RestorePiece> Pieces);
}
