using System.Globalization;

namespace Reel.Engine.Video;

/// <summary>
/// What decoding a video found that its container did not promise, gathered frame by frame by
/// <see cref="VideoFile.ReadFrames"/>: frames lost (fewer decoded than the container lists, or a
/// span shorter or longer than the duration it records) and frames of another size (the size
/// changed mid-stream; ffmpeg scales them to the first size). A run reports each as one line.
/// </summary>
public sealed class DecodeLog
{
    private (int Width, int Height)? _otherSize;
    private long _firstPtsNs, _lastPtsNs;
    private string? _lastError;
    private bool _finished;

    /// <summary>Frames decoded so far.</summary>
    public int Frames { get; private set; }
    /// <summary>Frames that came at another size than the stream's and were scaled.</summary>
    public int Resized { get; private set; }

    internal void Add(long ptsNs, (int Width, int Height)? otherSize)
    {
        if (Frames == 0) _firstPtsNs = ptsNs;
        _lastPtsNs = ptsNs;
        Frames++;
        if (otherSize is null) return;
        Resized++;
        _otherSize ??= otherSize;
    }

    /// <summary>Decoding reached the end of the stream; <paramref name="lastError"/> is ffmpeg's last complaint on the way, if any.</summary>
    internal void Finish(string? lastError) => (_lastError, _finished) = (lastError, true);

    /// <summary>One line per kind of loss, with counts; empty when nothing was lost (or decoding did not finish).</summary>
    public IReadOnlyList<string> Losses(VideoInfo info, string path)
    {
        var lines = new List<string>();
        if (!_finished || Frames == 0) return lines;
        string cause = _lastError is null ? "" : $" (ffmpeg: {_lastError})";
        bool fewer = info.FrameCount is { } listed && Frames < listed;
        if (fewer)
            lines.Add($"{path}: only {Frames} of the {info.FrameCount} frames its container lists could be decoded{cause}");
        if (Resized > 0 && _otherSize is var (w, h))
            lines.Add($"{path}: {Resized} of {Frames} frames were {w}×{h}, not {info.Width}×{info.Height} (the size changes mid-stream); they were scaled to {info.Width}×{info.Height}");
        double nominal = Rational.FrameNs(info.FrameRate) / 1e9;
        double span = (_lastPtsNs - _firstPtsNs) / 1e9 + nominal;
        // Two frames of slack: the last frame's own duration is a guess, and streams end a little apart.
        if (!fewer && (info.VideoDurationSeconds ?? info.DurationSeconds) is { } recorded && Math.Abs(span - recorded) > Math.Max(2 * nominal, 0.25))
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{path}: the decoded frames span {span:0.###} s but its container says {recorded:0.###} s{(span < recorded ? cause : "")}"));
        return lines;
    }
}
