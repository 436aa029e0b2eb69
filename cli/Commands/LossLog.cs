using System.Globalization;
using Reel.Engine;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel stabilize --loss-log FILE`: every training step's loss as a CSV line (shot, epoch, frame, loss with the digits
/// that read back to the same double). The lines gather in a hidden file beside FILE (<c>.FILE.partial</c>), flushed a
/// line at a time, and the file is renamed to FILE when the run completes, so an interrupted or failed run leaves no log
/// that looks whole. An interrupted run that left work to resume keeps its partial log; the `--resume` that continues it
/// takes up the lines of the steps it kept (the finished shots', and those of the shot in progress up to its saved
/// training) and goes on, so the resumed run's log is the one a run never stopped writes. Before, a resumed run's log
/// held only its own steps, under the same header: a whole-looking log with the interrupted run's steps missing.
/// </summary>
internal sealed class LossLog : IDisposable
{
    private const string Header = "shot,epoch,frame,loss";
    private readonly string _path;
    private readonly string _partial;
    private readonly Func<bool> _resumable;
    private StreamWriter? _writer;
    private bool _completed;

    /// <param name="path">The log's path.</param>
    /// <param name="resume">Whether the run continues an interrupted one: its partial log, if any, is taken up at the first step.</param>
    /// <param name="resumable">Whether the run has left work to resume: a partial log outlives an unfinished run only then.</param>
    public LossLog(string path, bool resume, Func<bool> resumable)
    {
        _path = Path.GetFullPath(path);
        _resumable = resumable;
        var folder = Path.GetDirectoryName(_path)!;
        if (!Directory.Exists(folder)) throw new ReelException($"--loss-log: folder does not exist: {folder}");
        // What an older reel left: its temporaries carried their writer's pid.
        TempFile.RemoveOrphans(_path);
        _partial = Path.Combine(folder, $".{Path.GetFileName(_path)}.partial");
        if (!(resume && File.Exists(_partial))) Start([]);
    }

    /// <summary>Logs a step's loss; on the first step after a saved training was taken up, takes up the interrupted run's lines first.</summary>
    /// <returns>A note for the run, where the log cannot hold every step (the interrupted run's steps were not logged); else null.</returns>
    public string? Add(StabilizeProgress p)
    {
        string? note = null;
        // The shot's steps the interrupted run took: the lines of the run taken up stop there.
        int kept = (int)Math.Round(p.KeptFrames * p.Epochs);
        if (_writer is null)
        {
            int found = TakeUp(p.Shot, kept);
            if (found < kept) note = Missing(p.Shot, kept - found);
        }
        else if (kept > 0) note = Missing(p.Shot, kept);
        // A shot the interrupted run trained to its end reports its end once with its saved loss: a step already logged.
        if (kept == p.Frames * p.Epochs) return note;
        _writer!.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Shot},{p.Epoch},{p.Frame},{p.Loss:R}"));
        // A line at a time: a killed run's partial log then holds every step it reported, and so every step its saves hold.
        _writer.Flush();
        return note;
    }

    private string Missing(int shot, int steps) =>
        $"--loss-log: {_path} lacks the first {steps} training steps of shot {shot}, which the interrupted run took without logging them here";

    /// <summary>
    /// Starts the partial log over with the lines of the run taken up that stand: those of the shots before
    /// <paramref name="shot"/> and the first <paramref name="kept"/> of it. Returns how many of those it found.
    /// </summary>
    private int TakeUp(int shot, int kept)
    {
        var lines = new List<string>();
        int found = 0;
        using (var reader = new StreamReader(_partial))
        {
            if (reader.ReadLine() == Header)
                for (string? line; (line = reader.ReadLine()) is not null;)
                {
                    // A line the killed run was writing (cut short, no loss) ends what is taken.
                    var fields = line.Split(',');
                    if (fields.Length != 4 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int of)
                        || !double.TryParse(fields[3], NumberStyles.Float, CultureInfo.InvariantCulture, out _)) break;
                    if (of > shot || (of == shot && found == kept)) break;
                    if (of == shot) found++;
                    lines.Add(line);
                }
        }
        Start(lines);
        return found;
    }

    /// <summary>Writes the partial log afresh (atomically) with its header and <paramref name="lines"/>, and opens it for the steps to come.</summary>
    private void Start(IReadOnlyList<string> lines)
    {
        TempFile.WriteAtomically(_partial, tmp => File.WriteAllLines(tmp, lines.Prepend(Header)));
        _writer = new StreamWriter(_partial, append: true) { NewLine = "\n" };
    }

    /// <summary>Flushes the lines and puts the file in its place.</summary>
    public void Complete()
    {
        // A run that took no step (every shot kept) and found the partial log to take up: its sound lines are the whole log.
        if (_writer is null) TakeUp(int.MaxValue, 0);
        _writer!.Dispose();
        TempFile.FlushToDisk(_partial);
        File.Move(_partial, _path, overwrite: true);
        _completed = true;
    }

    /// <summary>
    /// Closes the partial log; unless <see cref="Complete"/> put it in place, it stays for a --resume where the run left
    /// work to continue, and goes where it left none.
    /// </summary>
    public void Dispose()
    {
        _writer?.Dispose();
        if (!_completed && !_resumable()) File.Delete(_partial);
    }
}
