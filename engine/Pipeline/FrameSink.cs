using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Where finished frames go, in order, as soon as they are done (nothing is held for the whole
/// sequence). Nothing appears at the destination until <see cref="Complete"/>; disposing an
/// incomplete sink removes what it wrote.
/// </summary>
public interface IFrameSink : IDisposable
{
    /// <param name="ptsNs">The frame's presentation time (ns from the first frame); a folder ignores it.</param>
    void Write(Tensor frame, long ptsNs);
    /// <summary>Checks what was written and moves it into place; cancelling stops the writer.</summary>
    void Complete(CancellationToken cancel = default);
}

/// <summary>
/// A new folder of PNG frames, named after the input frames, gathered in a hidden temporary folder
/// that carries this process's id (see <see cref="OwnedName"/>) and renamed into place at the end.
/// </summary>
public sealed class FolderSink : IFrameSink
{
    private readonly string _target;
    private readonly string _tmp;
    private readonly IReadOnlyList<string> _names;
    private int _next;
    private bool _completed;

    public FolderSink(string folder, IReadOnlyList<string> names)
    {
        _target = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(_target)!;
        if (!Directory.Exists(parent)) throw new ReelException($"output folder's parent does not exist: {parent}");
        if (Directory.Exists(_target) && Directory.EnumerateFileSystemEntries(_target).Any())
            throw new ReelException($"output folder {folder} exists and is not empty; choose a new one");
        _names = names;
        string prefix = $".{Path.GetFileName(_target)}.";
        OwnedName.RemoveOrphans(parent, prefix, ".tmp");
        _tmp = Path.Combine(parent, $"{prefix}{OwnedName.NewTag()}.tmp");
        Directory.CreateDirectory(_tmp);
    }

    public void Write(Tensor frame, long ptsNs) => ImageIO.Write(Path.Combine(_tmp, Path.ChangeExtension(_names[_next++], ".png")), frame);

    public void Complete(CancellationToken cancel = default)
    {
        if (_next != _names.Count) throw new InvalidOperationException($"{_next} of {_names.Count} frames written");
        if (Directory.Exists(_target)) Directory.Delete(_target);
        Directory.Move(_tmp, _target);
        _completed = true;
    }

    public void Dispose()
    {
        if (!_completed && Directory.Exists(_tmp)) Directory.Delete(_tmp, recursive: true);
    }
}

/// <summary>A video file; the encoder starts with the first frame, whose size it takes.</summary>
public sealed class VideoSink : IFrameSink
{
    private readonly string _path;
    private readonly string _timeBase;
    private readonly EncodeSettings? _settings;
    private readonly (string Path, VideoInfo Info)? _streamSource;
    private readonly Action<string>? _note;
    private readonly long _frameDurationNs;
    private VideoWriter? _writer;

    /// <param name="timeBase">The source's time base, kept so timestamps survive exactly.</param>
    /// <param name="streamSource">The video whose audio, subtitles and metadata are copied in.</param>
    /// <param name="note">Told about streams that had to be converted or left out.</param>
    /// <param name="frameDurationNs">How long the last frame lasts: the source's nominal frame duration.</param>
    public VideoSink(string path, string timeBase, (string Path, VideoInfo Info)? streamSource, EncodeSettings? settings = null, Action<string>? note = null,
        long frameDurationNs = 0)
    {
        (_note, _frameDurationNs) = (note, frameDurationNs);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new ReelException($"output folder does not exist: {dir}");
        (_path, _timeBase, _streamSource, _settings) = (path, timeBase, streamSource, settings);
    }

    public void Write(Tensor frame, long ptsNs)
    {
        _writer ??= new VideoWriter(_path, frame.Shape.W, frame.Shape.H, _timeBase, _settings, _streamSource, ptsNs, _note, _frameDurationNs);
        _writer.Write(ImageIO.ToPixels(FrameOps.ToRgb(frame)), ptsNs);
    }

    public void Complete(CancellationToken cancel = default) => (_writer ?? throw new InvalidOperationException("no frames were written")).Complete(cancel);

    public void Dispose() => _writer?.Dispose();
}
