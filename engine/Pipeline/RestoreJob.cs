using System.Text.Json;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// The progress of one restore (or prior stabilize), kept on disk so nothing finished is lost to a crash or Ctrl-C:
/// a hidden work folder beside the output (<c>.NAME.reel-work</c>) holding the finished pieces and
/// <c>job.json</c>, which lists them with the settings they were made with. The record is
/// rewritten atomically after each piece, so it only ever names complete pieces. A run with
/// resume continues after the last piece when the settings match; the folder goes away when the
/// output is in place. The folder is held with a <see cref="WorkFolderLock"/> from before it is
/// read until the job is disposed, so two runs never work on one job.
/// </summary>
public sealed class RestoreJob : IDisposable
{
    private const string StateFile = "job.json";
    /// <summary>Where a frame-folder output's frames gather; kept across runs like the pieces.</summary>
    public const string FramesFolder = "frames";
    /// <summary>The saved training of a shot in progress (<see cref="TrainingPath"/>), kept across runs until its piece is.</summary>
    private const string TrainingPattern = "training-*.safetensors";
    /// <summary>
    /// The lines of a stabilize's --loss-log so far (the CLI's LossLog), kept across runs as its pieces are: a resume goes on
    /// with them, a fresh start clears them with the rest.
    /// </summary>
    public const string LossLogFile = "loss-log.csv";
    /// <summary>How a finished piece's file is named (<see cref="PiecePath"/>).</summary>
    private const string PiecePrefix = "piece-";
    private readonly List<RestorePiece> _pieces;
    private readonly SortedDictionary<string, string> _settings;
    private readonly WorkFolderLock _lock;

    private RestoreJob(WorkFolderLock claim, SortedDictionary<string, string> settings, List<RestorePiece> pieces)
    {
        (_lock, _settings, _pieces) = (claim, settings, pieces);
        Folder = claim.Folder;
    }

    /// <summary>The work folder's absolute path (<see cref="FolderFor"/> of the output).</summary>
    public string Folder { get; }
    /// <summary>The finished pieces in frame order, each starting where the one before ended.</summary>
    public IReadOnlyList<RestorePiece> Pieces => _pieces;

    /// <summary>Whether this job continues an interrupted run's record (however many of its pieces then read back sound).</summary>
    public bool Resumed { get; private init; }
    /// <summary>Frames already in finished pieces: a resumed run starts at this frame.</summary>
    public int FramesDone => _pieces.Count == 0 ? 0 : _pieces[^1].End;

    /// <summary>The work folder of a restore into <paramref name="output"/>: <c>.NAME.reel-work</c> beside it (absolute path).</summary>
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
        var claim = WorkFolderLock.Acquire(folder, Writing(output));
        try
        {
            var statePath = Path.Combine(folder, StateFile);
            // A record without pieces or a saved training is a run that died before it had either: nothing to resume, so start afresh.
            if (File.Exists(statePath) && Load(statePath) is var saved && Unfinished(saved, folder))
            {
                // Another command's record (a stabilize's, where a restore now writes): its --resume here would only list every setting as differing.
                if (CommandOf(saved.Settings) != CommandOf(wanted)) throw Interrupted(output, folder, saved);
                if (!resume)
                    throw new ReelException($"an interrupted {CommandOf(saved.Settings)} of {output} is in {folder} ({Done(saved, folder)}); " +
                                            "add --resume to continue it, or delete that folder to start over");
                var differing = RestorePipeline.Contrast(wanted, saved.Settings.AsReadOnly());
                // Each with both values: "stabilize differ" left the user to guess that it was the epochs.
                if (differing.Count > 0)
                    throw new ReelException($"cannot resume the interrupted run in {folder}: " +
                                            string.Join("; ", differing.Select(d => $"{d.Setting} {d.A ?? "not set"} now, {d.B ?? "not set"} then")) +
                                            "; use the same input and options, or delete that folder to start over");
                var job = new RestoreJob(claim, wanted, saved.Pieces.ToList()) { Resumed = true };
                // What the record does not list is what the interrupted run was writing when it stopped; a saved training
                // is taken up by the shot it names, whichever that turns out to be (a damaged piece makes earlier shots again).
                job.RemoveAllBut(saved.Pieces.Where(p => p.File is not null).Select(p => p.File!).Append(StateFile).Append(FramesFolder).Append(LossLogFile)
                    .Concat(Directory.EnumerateFiles(folder, TrainingPattern).Select(f => Path.GetFileName(f))));
                return job;
            }
            // Finished work without its record (job.json deleted, by hand or a cleaner): what it was made with is unknown,
            // so it can be neither continued nor thrown away unasked (a fresh start here used to delete it without a word).
            if (!File.Exists(statePath) && Unrecorded(folder) is { } orphaned)
                throw new ReelException($"{folder} holds {orphaned} but not {StateFile}, the record of what it was made with, so it " +
                                        "cannot be continued; delete that folder to start over");
            var fresh = new RestoreJob(claim, wanted, new List<RestorePiece>());
            // A run that stopped before it finished a piece left nothing worth keeping. Its new record first, then the rest
            // goes: a start killed in between leaves a record beside what is left, never the leftovers without one (refused).
            fresh.Save();
            fresh.RemoveAllBut([StateFile]);
            return fresh;
        }
        catch
        {
            claim.Dispose();
            throw;
        }
    }

    private void RemoveAllBut(IEnumerable<string> keep)
    {
        var kept = keep.Append(WorkFolderLock.FileName).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(Folder))
        {
            if (kept.Contains(Path.GetFileName(entry))) continue;
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
    }

    /// <summary>
    /// Where piece <paramref name="index"/> is written in the work folder (<paramref name="extension"/>
    /// with its dot, ".nut"), named from 1 as progress counts pieces. A resumed run finds its pieces
    /// by the names the record holds, so one interrupted under 0-based names goes on unharmed.
    /// </summary>
    public string PiecePath(int index, string extension) => Path.Combine(Folder, $"{PiecePrefix}{index + 1:D5}{extension}");

    /// <summary>
    /// Where the training of shot <paramref name="index"/> (0-based, named from 1 as its piece is) is saved while it goes on
    /// (<see cref="TrainingSaves"/>); removed once the shot's piece is recorded.
    /// </summary>
    public string TrainingPath(int index) => Path.Combine(Folder, $"training-{index + 1:D5}.safetensors");

    /// <summary>Whether the work folder of <paramref name="output"/> holds a shot's saved training.</summary>
    public static bool HoldsTraining(string output) => TrainingIn(FolderFor(output));

    /// <summary>Whether this job has anything a resume would continue: a finished piece or a saved training.</summary>
    public bool HoldsWork => _pieces.Count > 0 || TrainingIn(Folder);

    /// <summary>Whether <paramref name="folder"/> holds a shot's saved training; a folder gone (deleted, unmounted) holds none.</summary>
    private static bool TrainingIn(string folder) => Directory.Exists(folder) && Directory.EnumerateFiles(folder, TrainingPattern).Any();

    /// <summary>What the work folder keeps for a resume, in words ("the 120 frames finished are kept in …").</summary>
    public string Kept()
    {
        // A folder gone since (deleted, unmounted) must not turn the error this words into another: TrainingIn checks.
        bool training = TrainingIn(Folder);
        var frames = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the {FramesDone} frames finished");
        return _pieces.Count == 0 ? $"the training of the shot in progress is kept in {Folder}"
            : training ? $"{frames} and the training of the shot in progress are kept in {Folder}"
            : $"{frames} are kept in {Folder}";
    }

    /// <summary>Where a frame-folder output's frames gather in the work folder (<see cref="FramesFolder"/>), absolute.</summary>
    public string FramesPath => Path.Combine(Folder, FramesFolder);

    /// <summary>
    /// Makes <see cref="FramesPath"/> for a folder output and removes the frame temporaries a killed run left there (hidden: a
    /// frame is written beside its name and renamed). The job's lock keeps every other writer out, so each is a leftover; kept,
    /// it was counted as a frame and moved into the output, and every resume ended "holds 31 of the 30 frames".
    /// </summary>
    public string PrepareFrames()
    {
        Directory.CreateDirectory(FramesPath);
        foreach (var leftover in Directory.EnumerateFiles(FramesPath, ".*")) File.Delete(leftover);
        return FramesPath;
    }

    /// <summary>The finished pieces of a video output, as <see cref="VideoSegments.Join"/> takes them.</summary>
    public IReadOnlyList<VideoPiece> VideoPieces() =>
        _pieces.Select(p => new VideoPiece(Path.Combine(Folder, p.File!), p.StartNs, p.End - p.Start)).ToList();

    /// <summary>
    /// Moves <see cref="FramesPath"/> into place as <paramref name="output"/> (a missing or empty folder) once it holds as many
    /// frames as the record lists. One lost during the run is found by a resume (the pieces' check), which makes its shot again.
    /// </summary>
    public void MoveFramesTo(string output)
    {
        int written = Directory.GetFiles(FramesPath).Length;
        if (written != FramesDone)
            throw new ReelException($"{FramesPath} holds {written} of the {FramesDone} frames its record lists; run the same command with --resume to write them again");
        if (Directory.Exists(output)) Directory.Delete(output);
        Directory.Move(FramesPath, output);
    }

    /// <summary>Records a finished piece; from now on a resumed run keeps it.</summary>
    public void Add(RestorePiece piece)
    {
        if (piece.Start != FramesDone) throw new InvalidOperationException($"piece starts at {piece.Start}, expected {FramesDone}");
        _pieces.Add(piece);
        Save();
        File.Delete(TrainingPath(_pieces.Count - 1));
    }

    /// <summary>
    /// Forgets piece <paramref name="index"/> and every piece after it (a damaged piece found on
    /// resume): their files go and the run makes them again.
    /// </summary>
    public void DropFrom(int index)
    {
        var dropped = _pieces.Skip(index).ToList();
        _pieces.RemoveRange(index, _pieces.Count - index);
        Save();
        foreach (var p in dropped.Where(p => p.File is not null)) File.Delete(Path.Combine(Folder, p.File!));
    }

    /// <summary>
    /// Claims <paramref name="output"/> for a command that writes it with no record to resume (a streamed stabilize): the
    /// lock a restore into it holds, so neither replaces the other's output unseen (both ended "done" and one result was lost).
    /// An interrupted run's record there is refused: written over, its later --resume replaced this output without a word.
    /// Disposed, the work folder goes when nothing but the lock is in it.
    /// </summary>
    public static IDisposable Claim(string output)
    {
        var folder = FolderFor(output);
        var claim = WorkFolderLock.Acquire(folder, Writing(output));
        try
        {
            var statePath = Path.Combine(folder, StateFile);
            if (File.Exists(statePath) && Load(statePath) is var saved && Unfinished(saved, folder)) throw Interrupted(output, folder, saved);
            return new OutputClaim(claim);
        }
        catch
        {
            claim.Dispose();
            throw;
        }
    }

    /// <summary>The command whose record <paramref name="settings"/> are: a stabilize's say so, a restore's (recorded before there were two) do not.</summary>
    private static string CommandOf(IDictionary<string, string> settings) => settings.TryGetValue("command", out var command) ? command : "restore";

    /// <summary>What a work folder with no record holds of a run's work, in words ("3 finished pieces and a shot's saved training"), or null for nothing.</summary>
    private static string? Unrecorded(string folder)
    {
        if (!Directory.Exists(folder)) return null;
        int pieces = Directory.EnumerateFiles(folder, PiecePrefix + "*").Count();
        var frames = Path.Combine(folder, FramesFolder);
        int framesWritten = Directory.Exists(frames) ? Directory.EnumerateFiles(frames).Count(f => !Path.GetFileName(f).StartsWith('.')) : 0;
        var held = new List<string>();
        if (pieces > 0) held.Add(pieces == 1 ? "a finished piece" : $"{pieces} finished pieces");
        if (framesWritten > 0) held.Add(framesWritten == 1 ? "a finished frame" : $"{framesWritten} finished frames");
        if (TrainingIn(folder)) held.Add("a shot's saved training");
        return held.Count == 0 ? null : string.Join(" and ", held);
    }

    /// <summary>Whether a record is of a run that left something to continue: a finished piece, or a shot's saved training.</summary>
    private static bool Unfinished(State saved, string folder) => saved.Pieces.Count > 0 || TrainingIn(folder);

    /// <summary>What an interrupted run finished, in words: its frames, and a shot's training where one was saved.</summary>
    private static string Done(State saved, string folder) =>
        $"{saved.Pieces.Sum(p => p.End - p.Start)} frames done" + (TrainingIn(folder) ? ", a shot's training saved" : "");

    /// <summary>The refusal of a run that would work on another command's interrupted record.</summary>
    private static ReelException Interrupted(string output, string folder, State saved) =>
        new($"an interrupted reel {CommandOf(saved.Settings)} of {output} is in {folder} ({Done(saved, folder)}): " +
            "continue it with that command and --resume, or delete that folder to start over");

    /// <summary>
    /// What holding an output's folder means, in the refusal the other process gets: the same words whichever command holds it
    /// (a stabilize refused beside a restore said the restore was "stabilizing into" the output).
    /// </summary>
    private static string Writing(string output) => $"writing {output}";

    private sealed class OutputClaim(WorkFolderLock claim) : IDisposable
    {
        public void Dispose()
        {
            if (Directory.EnumerateFileSystemEntries(claim.Folder).All(e => Path.GetFileName(e) == WorkFolderLock.FileName)) claim.DeleteFolder();
            else claim.Dispose();
        }
    }

    /// <summary>
    /// Removes the work folder and lets it go (after the output is in place, or when nothing was finished): first its record
    /// emptied, then the rest, the record last. A kill on the way leaves a record of nothing done, which the next run takes
    /// as a fresh start, never pieces without their record (refused) nor a record of pieces gone (taken for an interrupted run).
    /// </summary>
    public void Delete()
    {
        _pieces.Clear();
        Save();
        RemoveAllBut([StateFile]);
        _lock.DeleteFolder();
    }

    /// <summary>Lets the work folder go, keeping it for a later --resume.</summary>
    public void Dispose() => _lock.Dispose();

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
