using System.Globalization;
using Reel.Engine;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel stabilize --loss-log FILE`: every training step's loss as a CSV line (shot, epoch, frame, loss with the digits
/// that read back to the same double). The lines gather in the run's work folder (<see cref="RestoreJob.LossLogFile"/>),
/// flushed a line at a time, and are copied to FILE (atomically) when the run completes, so an interrupted or failed run
/// leaves no log that looks whole. The work folder keeps them as it keeps the finished shots: the `--resume` that
/// continues the run takes up the lines of the steps it keeps (the finished shots', and those of a shot's saved
/// training) and goes on, so its log is the one a run never stopped writes; steps it keeps that were not logged (the
/// interrupted run had no --loss-log) are said in a note. Before, a resumed run's log held only its own steps, under
/// the same header: a whole-looking log with the interrupted run's steps missing.
/// </summary>
internal sealed class LossLog : IDisposable
{
    private const string Header = "shot,epoch,frame,loss";
    private readonly string _path;
    private readonly string _partial;
    /// <summary>The interrupted run's lines of each shot from the first this run trains on, until that shot takes up its saved steps.</summary>
    private readonly Dictionary<int, List<string>> _logged = new();
    private StreamWriter? _writer;
    private int _shot;

    /// <param name="path">The log's path.</param>
    /// <param name="workFolder">The run's work folder, opened (and so cleared or taken up) already: a log of the interrupted run there is continued.</param>
    public LossLog(string path, string workFolder)
    {
        _path = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(_path)!;
        if (!Directory.Exists(folder)) throw new ReelException($"--loss-log: folder does not exist: {folder}");
        // What an older reel left beside the log: its temporaries carried their writer's pid.
        TempFile.RemoveOrphans(_path);
        _partial = Path.Combine(workFolder, RestoreJob.LossLogFile);
        if (!File.Exists(_partial)) Start([]);
    }

    /// <summary>Logs a step's loss; at a shot's first step, first the interrupted run's lines this run keeps.</summary>
    /// <returns>A note for the run where the log cannot hold every step it keeps (they were not logged); else null.</returns>
    public string? Add(StabilizeProgress p)
    {
        var notes = new List<string>();
        // The steps of this shot the interrupted run took and this run keeps (a saved training taken up); 0 but at a shot's first step.
        int kept = (int)Math.Round(p.KeptFrames * p.Epochs);
        if (p.Shot != _shot)
        {
            if (_shot == 0) TakeUp(p.Shot, notes);
            _shot = p.Shot;
            if (kept > 0)
            {
                var logged = _logged.GetValueOrDefault(p.Shot, []);
                foreach (var line in logged.Take(kept)) _writer!.WriteLine(line);
                if (logged.Count < kept) notes.Add($"{_path} lacks the first {kept - logged.Count} training steps of shot {p.Shot}, which an interrupted run took without their lines reaching the log");
            }
            _logged.Remove(p.Shot);
        }
        // A shot the interrupted run trained to its end reports its end once with its saved loss: no step of this run's.
        if (kept < p.Frames * p.Epochs)
        {
            _writer!.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Shot},{p.Epoch},{p.Frame},{p.Loss:R}"));
            // A line at a time: a killed run's log then holds every step it reported, and so every step its saves hold.
            _writer.Flush();
        }
        return notes.Count == 0 ? null : "--loss-log: " + string.Join("; ", notes);
    }

    /// <summary>
    /// Starts the log over with the interrupted run's lines of the shots before <paramref name="shot"/>, the first this run
    /// trains on, and holds those of the shots from it on for when each takes up its saved steps; notes the earlier shots it lacks.
    /// </summary>
    private void TakeUp(int shot, List<string> notes)
    {
        var before = new List<string>();
        var shots = new HashSet<int>();
        if (_writer is null)
        {
            using var reader = new StreamReader(_partial);
            if (reader.ReadLine() == Header)
                for (string? line; (line = reader.ReadLine()) is not null;)
                {
                    // A line the killed run was writing (cut short, no loss) ends what is taken.
                    var fields = line.Split(',');
                    if (fields.Length != 4 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int of)
                        || !double.TryParse(fields[3], NumberStyles.Float, CultureInfo.InvariantCulture, out _)) break;
                    shots.Add(of);
                    if (of < shot) before.Add(line);
                    else
                    {
                        if (!_logged.TryGetValue(of, out var lines)) _logged[of] = lines = [];
                        lines.Add(line);
                    }
                }
            Start(before);
        }
        if (shot == int.MaxValue) return;
        var unlogged = Enumerable.Range(1, shot - 1).Where(s => !shots.Contains(s)).ToList();
        if (unlogged.Count > 0)
            notes.Add($"{_path} lacks the steps of {(unlogged.Count == 1 ? $"shot {unlogged[0]}" : $"{unlogged.Count} shots ({unlogged[0]}–{unlogged[^1]})")}, " +
                      "which an interrupted run trained without their lines reaching the log");
    }

    /// <summary>Writes the log afresh (atomically) with its header and <paramref name="lines"/>, and opens it for the steps to come.</summary>
    private void Start(IReadOnlyList<string> lines)
    {
        TempFile.WriteAtomically(_partial, tmp => File.WriteAllLines(tmp, lines.Prepend(Header)));
        _writer = new StreamWriter(_partial, append: true) { NewLine = "\n" };
    }

    /// <summary>Puts the log in its place: a copy of the lines gathered, written beside it and renamed (the work folder may be on another disk).</summary>
    public void Complete()
    {
        // A run that trained no shot (every one kept) takes up the interrupted run's lines whole.
        if (_writer is null) TakeUp(int.MaxValue, []);
        _writer!.Flush();
        TempFile.WriteAtomically(_path, tmp => File.Copy(_partial, tmp, overwrite: true));
    }

    /// <summary>Closes the lines gathered; they stay in the work folder for a --resume where the run left work to continue, and go with it otherwise.</summary>
    public void Dispose() => _writer?.Dispose();
}
