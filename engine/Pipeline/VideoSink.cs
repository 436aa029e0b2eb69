using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>A video file; the encoder starts with the first frame, whose size it takes.</summary>
public sealed class VideoSink : IFrameSink
{
    private readonly string _path;
    private readonly string _timeBase;
    private readonly EncodeSettings? _settings;
    private readonly StreamSource? _streamSource;
    private readonly Action<string>? _note;
    private readonly string? _frameRate;
    private readonly string _sampleAspect;
    private VideoWriter? _writer;

    /// <param name="timeBase">The source's time base, kept so timestamps survive exactly.</param>
    /// <param name="streamSource">The video whose audio, subtitles and metadata are copied in.</param>
    /// <param name="note">Told about streams that had to be converted or left out.</param>
    /// <param name="frameRate">The source's nominal rate, which sets how long the last frame lasts (<see cref="FrameSource.FrameRate"/>).</param>
    /// <param name="sampleAspect">The source's pixel shape (<see cref="FrameSource.SampleAspect"/>).</param>
    public VideoSink(string path, string timeBase, StreamSource? streamSource, EncodeSettings? settings = null, Action<string>? note = null,
        string? frameRate = null, string sampleAspect = "1:1")
    {
        (_note, _frameRate, _sampleAspect) = (note, frameRate, sampleAspect);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new ReelException($"output folder does not exist: {dir}");
        (_path, _timeBase, _streamSource, _settings) = (path, timeBase, streamSource, settings);
    }

    /// <inheritdoc/>
    public void Write(Tensor frame, long ptsNs)
    {
        _writer ??= new VideoWriter(_path, frame.Shape.W, frame.Shape.H, _timeBase, _settings, _streamSource, ptsNs, _note, _frameRate, _sampleAspect);
        _writer.Write(frame, ptsNs);
    }

    /// <inheritdoc/>
    public void Complete(CancellationToken cancel = default) => (_writer ?? throw new InvalidOperationException("no frames were written")).Complete(cancel);

    /// <summary>Stops the encoder and deletes the partial file unless <see cref="Complete"/> moved it into place.</summary>
    public void Dispose() => _writer?.Dispose();
}
