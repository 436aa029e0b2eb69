using System.Collections.Concurrent;
using System.Globalization;
using Reel.Engine.Tensors;

namespace Reel.Engine.Video;

/// <summary>
/// Encodes frames pushed one at a time (each with its timestamp) through an ffmpeg
/// child process. Frames travel as Matroska (see <see cref="MatroskaRawWriter"/>) so their
/// timestamps survive, and the encoder keeps the source's time base so they survive exactly. They go
/// as 8-bit RGB, or 16-bit where the encoder keeps more than 8 bits (<see cref="EncodeSettings.TakesDeepFrames"/>).
/// A background task feeds ffmpeg, so encoding overlaps the caller's next frame; at most a few
/// frames wait in between. The video goes to a temporary file beside the target and is renamed
/// by <see cref="Complete"/>; disposing without completing stops ffmpeg and deletes the partial file.
/// </summary>
public sealed class VideoWriter : IDisposable
{
    private const int FramesInFlight = 4;
    private readonly string _target;
    private readonly string _tmp;
    private readonly ToolProcess _tool;
    private readonly BlockingCollection<(byte[] Pixels, long PtsNs)> _queue = new(FramesInFlight);
    private readonly Task _feeder;
    private readonly int _frameBytes;
    private readonly bool _deep;
    private readonly int _outWidth, _outHeight;
    private int _frames;
    private long _firstPtsNs, _lastPtsNs;
    private bool _completed;
    private readonly StreamSource? _streamSource;
    private readonly Action<string>? _note;
    private bool _disposed;

    /// <param name="streamSource">A video whose audio, subtitles and metadata are copied in (see <see cref="StreamCopy"/>).</param>
    /// <param name="startNs">
    /// The first frame's time. ffmpeg moves every input to start at zero, so a video that starts
    /// after its audio (common: encoder delay) is put back in place with an input offset.
    /// </param>
    /// <param name="note">Told about streams that had to be converted or left out.</param>
    /// <param name="frameRate">
    /// The source's nominal rate ("60000/1001"), or null where unknown: how long a frame lasts when the next one
    /// does not say (the last one). The encoder is told it exactly: left to guess it from the frames' nanosecond
    /// durations, ffmpeg took 59.94 fps for 60 and gave every frame 1000 ticks of 1/60000 s, not 1001.
    /// </param>
    /// <param name="sampleAspect">The pixels' shape, "N:M" (<see cref="VideoInfo.SampleAspect"/>): an anamorphic source's stays so.</param>
    public VideoWriter(string path, int width, int height, string timeBase, EncodeSettings? settings = null,
        StreamSource? streamSource = null, long startNs = 0, Action<string>? note = null, string? frameRate = null,
        string sampleAspect = "1:1")
    {
        settings = (settings ?? new EncodeSettings()).For(path);
        _target = Path.GetFullPath(path);
        (_streamSource, _note) = (streamSource, note);
        var dir = Path.GetDirectoryName(_target)!;
        if (!Directory.Exists(dir)) throw new MediaException($"output folder does not exist: {dir}");
        TempFile.RemoveOrphans(_target);
        _tmp = TempFile.Beside(_target);
        _deep = settings.TakesDeepFrames;
        _frameBytes = width * height * (_deep ? 6 : 3);
        (_outWidth, _outHeight) = settings.Padded(width, height);
        bool pad = (_outWidth, _outHeight) != (width, height);
        // Told here where the writer is told about its streams (stabilize's); a restore says it before its first frame.
        if (pad && note is not null) note(settings.PaddingNote(width, height)!);
        var args = new List<string> { "-hide_banner", "-v", "error", "-y" };
        if (startNs > 0) args.AddRange(new[] { "-itsoffset", Seconds(startNs) });
        args.AddRange(new[] { "-f", "matroska", "-i", "-" });
        if (streamSource is not null) args.AddRange(streamSource.AsInput());
        args.AddRange(new[] { "-map", "0:v:0" });
        args.AddRange(streamSource is not null ? streamSource.CopyInto(1, _target, note) : StreamCopy.VideoTrack(null, _target));
        var filters = new[]
        {
            pad ? $"pad={_outWidth}:{_outHeight}" : null,
            sampleAspect == "1:1" ? null : "setsar=" + sampleAspect.Replace(':', '/'),
            settings.FromRgb(_outWidth, _outHeight),
        }.OfType<string>().ToList();
        // On the restored video alone: a filter on the cover art copied after it would be refused.
        if (filters.Count > 0) args.AddRange(new[] { "-filter:v:0", string.Join(',', filters) });
        args.AddRange(settings.Arguments(_outWidth, _outHeight));
        // A rate ffprobe could not tell ("0/0") is no rate: the encoder guesses, as it did for every rate before.
        if (!Rational.TryParse(frameRate, out var rateNum, out var rateDen) || rateNum <= 0 || rateDen <= 0) frameRate = null;
        long frameDurationNs = frameRate is null ? 0 : Rational.FrameNs(frameRate);
        var fixedTimeBase = settings.FixedTimeBase(frameDurationNs);
        // An encoder of fixed rates (MPEG-2) is told the one its time base is, not the source's near miss.
        if (frameRate is not null) args.AddRange(new[] { "-r", fixedTimeBase is null ? frameRate : Rational.Inverse(fixedTimeBase) });
        args.AddRange(new[] { "-fps_mode", "passthrough", "-enc_time_base", fixedTimeBase ?? timeBase, _tmp });
        _tool = ToolProcess.Start(Ffmpeg.FfmpegPath, args, $"encoding {_target}", feedInput: true);
        _feeder = Task.Run(() =>
        {
            var mkv = new MatroskaRawWriter(_tool.Input, width, height, _deep, frameDurationNs);
            foreach (var (pixels, pts) in _queue.GetConsumingEnumerable()) mkv.WriteFrame(pixels, pts);
        });
    }

    /// <summary>Nanoseconds rounded to ffmpeg's time resolution (AV_TIME_BASE, 1 µs).</summary>
    public static long Microseconds(long ns) => (ns + 500) / 1000;

    /// <summary>Nanoseconds as the decimal seconds ffmpeg's time options take (microsecond resolution, its own).</summary>
    public static string Seconds(long ns)
    {
        long us = Microseconds(ns);
        return string.Create(CultureInfo.InvariantCulture, $"{us / 1_000_000}.{us % 1_000_000:D6}");
    }

    /// <summary>
    /// Queues one frame, (1, 3, H, W) in [0, 1] at the writer's size, with its presentation time in ns; blocks
    /// while the encoder is behind. A <see cref="MediaException"/> when ffmpeg has stopped taking frames.
    /// </summary>
    public void Write(Tensor frame, long ptsNs)
    {
        var pixels = _deep ? ImageIO.ToPixels48(frame) : ImageIO.ToPixels(frame);
        if (pixels.Length != _frameBytes) throw new ArgumentException($"frame of {pixels.Length} bytes, expected {_frameBytes}");
        if (_feeder.IsFaulted) throw Failure();
        try
        {
            while (!_queue.TryAdd((pixels, ptsNs), 100))
                if (_feeder.IsFaulted) throw Failure();
        }
        catch (InvalidOperationException)
        {
            throw Failure();
        }
        if (_frames++ == 0) _firstPtsNs = ptsNs;
        _lastPtsNs = ptsNs;
    }

    /// <summary>
    /// Finishes the stream, reads the video back (every frame sent, decodable: see
    /// <see cref="VideoVerifier"/>) and only then moves it into place. Cancelling stops ffmpeg.
    /// </summary>
    public void Complete(CancellationToken cancel = default)
    {
        _queue.CompleteAdding();
        int code;
        using (cancel.Register(_tool.Stop))
        {
            try
            {
                _feeder.Wait(CancellationToken.None);
                _tool.CloseInput();
            }
            catch (Exception e) when (e is IOException or AggregateException)
            {
                // ffmpeg stopped reading (or stalled); its exit code and stderr say why.
            }
            code = _tool.WaitForExit();
        }
        cancel.ThrowIfCancellationRequested();
        if (code != 0) throw Failure();
        VideoVerifier.Verify(_tmp, new VideoExpectation(_frames, _outWidth, _outHeight) { MinDurationSeconds = (_lastPtsNs - _firstPtsNs) / 1e9 },
            _target, _tool.Stderr, cancel);
        _streamSource?.NoteLosses(_tmp, _target, _note, cancel);
        TempFile.FlushToDisk(_tmp);
        File.Move(_tmp, _target, overwrite: true);
        _completed = true;
    }

    /// <summary>Why ffmpeg stopped taking frames: its own error line, or the stall (waiting for its exit is bounded by the stall limit).</summary>
    private MediaException Failure()
    {
        int code;
        try
        {
            code = _tool.WaitForExit();
        }
        catch (MediaException stalled)
        {
            return stalled;
        }
        return new MediaException($"{_target}: ffmpeg failed to encode: {Ffmpeg.Reason(_tool.Stderr) ?? $"exit code {code}"}");
    }

    /// <summary>Ends the feeder; unless <see cref="Complete"/> finished, stops ffmpeg and deletes the partial file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _queue.CompleteAdding();
        if (!_completed) _tool.Stop();
        try
        {
            _feeder.Wait();
        }
        catch (AggregateException)
        {
            // The feeder fails when ffmpeg is stopped under it; nothing is kept from this run.
        }
        _tool.Dispose();
        if (File.Exists(_tmp)) File.Delete(_tmp);
    }
}
