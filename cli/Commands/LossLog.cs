using System.Globalization;
using Reel.Engine;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel stabilize --loss-log FILE`: every training step's loss as a CSV line (shot, epoch, frame,
/// loss with the digits that read back to the same double), written to a hidden temporary file beside FILE
/// and renamed to FILE when the run completes, so an interrupted or failed run leaves no log, whole-looking or not.
/// </summary>
internal sealed class LossLog : IDisposable
{
    private readonly string _path;
    private readonly string _partial;
    private readonly StreamWriter _writer;
    private bool _completed;

    public LossLog(string path)
    {
        _path = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(_path)!;
        if (!Directory.Exists(folder)) throw new ReelException($"--loss-log: folder does not exist: {folder}");
        TempFile.RemoveOrphans(_path);
        _partial = TempFile.Beside(_path);
        _writer = new StreamWriter(_partial) { NewLine = "\n" };
        _writer.WriteLine("shot,epoch,frame,loss");
    }

    public void Add(StabilizeProgress p) =>
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Shot},{p.Epoch},{p.Frame},{p.Loss:R}"));

    /// <summary>Flushes the lines and puts the file in its place.</summary>
    public void Complete()
    {
        _writer.Flush();
        _writer.Dispose();
        TempFile.FlushToDisk(_partial);
        File.Move(_partial, _path, overwrite: true);
        _completed = true;
    }

    /// <summary>Removes the temporary file unless <see cref="Complete"/> put it in place.</summary>
    public void Dispose()
    {
        _writer.Dispose();
        if (!_completed) File.Delete(_partial);
    }
}
