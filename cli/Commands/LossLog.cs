using System.Globalization;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel stabilize --loss-log FILE`: every training step's loss as a CSV line (shot, epoch, frame,
/// loss with the digits that read back to the same double), written to FILE.part and renamed to FILE
/// when the run completes, so an interrupted run leaves no log that looks whole.
/// </summary>
internal sealed class LossLog : IDisposable
{
    private readonly string _path;
    private readonly string _partial;
    private readonly StreamWriter _writer;

    public LossLog(string path)
    {
        _path = path;
        _partial = path + ".part";
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
        File.Move(_partial, _path, overwrite: true);
    }

    public void Dispose() => _writer.Dispose();
}
