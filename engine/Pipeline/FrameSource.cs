using System.Globalization;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// The frames of a video file or of a folder of images (taken in the order of their numbers, all one size, at
/// <see cref="DefaultFolderRate"/> frames per second unless told otherwise), read in order as
/// packed u8 with timestamps. Everywhere a command takes a video it takes a folder too.
/// </summary>
public sealed class FrameSource
{
    /// <summary>The frame rate a folder of frames gets when none is given (as <c>--fps</c> takes it: "25", "24000/1001").</summary>
    public const string DefaultFolderRate = "25";

    private FrameSource(string path, int width, int height, string timeBase, long? count, VideoInfo? video, IReadOnlyList<string>? files, string rate,
        string? decodeFilter = null, TimeRange? range = null, Lazy<FieldCheck>? fields = null)
    {
        _fields = fields;
        _filter = decodeFilter;
        (SourcePath, Width, Height, TimeBase, EstimatedCount, Video, Files, FrameRate) = (path, width, height, timeBase, count, video, files, rate);
        _range = range;
        Seek = range?.InputOptions() ?? video?.FileTiming ?? Array.Empty<string>();
    }

    private readonly TimeRange? _range;

    /// <summary>The video file or folder as it was given to <see cref="Open"/>.</summary>
    public string SourcePath { get; }
    /// <summary>Frame width in pixels, as displayed (a rotated video's sizes are swapped); every frame read has it.</summary>
    public int Width { get; }
    /// <summary>Frame height in pixels, as displayed.</summary>
    public int Height { get; }
    /// <summary>Time base the output keeps: the video stream's, or 1/rate for a folder.</summary>
    public string TimeBase { get; }
    /// <summary>
    /// How many frames to expect, for progress only: a folder's file count, a video's recorded frame count
    /// or duration × rate; null when the video says neither. The frames <see cref="Read"/> gives may differ.
    /// </summary>
    public long? EstimatedCount { get; }
    /// <summary>A folder's frame count, known before any is read; null for a video (its container's count can be wrong).</summary>
    public int? ExactCount => Files?.Count;
    /// <summary>What ffprobe said about the video; null for a folder of frames.</summary>
    public VideoInfo? Video { get; }
    /// <summary>A folder's image files in number order (<see cref="FrameFolder.List"/>); null for a video.</summary>
    private IReadOnlyList<string>? Files { get; }
    /// <summary>The nominal frame rate, "num/den" or a whole number: the video's average rate (its base rate when ffprobe gives no average), or the rate given for a folder.</summary>
    public string FrameRate { get; }
    /// <summary>The ffmpeg filter a video's frames pass through as they are decoded (the deinterlacer), or null: what <see cref="Read"/> gives, and what a review copy shows of the input.</summary>
    /// <remarks>Judged progressive, auto's bwdif is dropped; ivtc's filter (fieldmatch first) stays, as it was asked for.</remarks>
    public string? DecodeFilter => _filter?.StartsWith("fieldmatch", StringComparison.Ordinal) != true && _fields is { Value.LooksProgressive: true } ? null : _filter;

    private readonly string? _filter;

    /// <summary>idet's look, taken when the filter is first asked for: a join that only copies the input's sound never waits for it.</summary>
    private readonly Lazy<FieldCheck>? _fields;

    /// <summary>
    /// What idet saw in the frames of a video flagged interlaced, where <c>--deinterlace auto</c> looked
    /// (<see cref="FieldCheck"/>): judged progressive throughout, it is not deinterlaced; null where nobody looked.
    /// <c>--deinterlace ivtc</c> looks too, to say when it finds no pulldown to remove (its filter stays: asked for).
    /// </summary>
    public FieldCheck? Fields => _fields?.Value;
    /// <summary>
    /// ffmpeg input options that cut a video to the range asked for (<see cref="TimeRange.InputOptions"/>); for all of it, those that
    /// time it from the file's start (<see cref="VideoInfo.FileTiming"/>), as the review copy must read it to pair its frames with the output's.
    /// </summary>
    public IReadOnlyList<string> Seek { get; }

    /// <summary>One frame at the nominal rate: how long the last frame lasts in an output.</summary>
    public long FrameDurationNs => Rational.FrameNs(FrameRate);
    /// <summary>The pixels' shape, for the output to keep (<see cref="VideoInfo.SampleAspect"/>); a folder's is its first image's.</summary>
    public string SampleAspect => Video?.SampleAspect ?? FolderAspect;

    private string FolderAspect { get; init; } = "1:1";
    /// <summary>How a folder's first frame stores its pixels (ffprobe's pix_fmt: "rgba", "gray16be"); null for a video, or where it says none.</summary>
    public string? FolderPixels { get; private init; }

    private DecodeLog? _log;

    /// <summary>
    /// After a complete <see cref="Read"/>: one line per kind of loss the decoding found against
    /// what the container says (frames that did not decode, a size change, another duration).
    /// </summary>
    public IReadOnlyList<string> Losses() => Video is null || _log is null ? Array.Empty<string>() : _log.Losses(Video, SourcePath);

    /// <summary>A folder whose frames' number order is not their names' character order (which Reel took before 2026-12-06).</summary>
    public bool OrderedByNumbers => Files is not null && !Files.SequenceEqual(Files.Order(StringComparer.Ordinal));

    /// <summary>
    /// What a folder's numbering says is wrong, known before any frame is read: frames missing (<see cref="FrameFolder.Gaps"/>)
    /// and numbers given twice (<see cref="FrameFolder.Repeats"/>), a line each.
    /// </summary>
    public IReadOnlyList<string> MissingFrames => Files is null ? Array.Empty<string>()
        : new[] { FrameFolder.Gaps(Files, SourcePath), FrameFolder.Repeats(Files, SourcePath) }.OfType<string>().ToList();

    /// <summary>The source whose audio, subtitles and metadata an output copies, cut as the frames are (none for a folder).</summary>
    public StreamSource? StreamSource => Video is null ? null : new StreamSource(SourcePath, Video) { Cut = _range };

    /// <summary>
    /// Opens a video file or a folder of images (probing its size, reading no frames yet); a missing
    /// path, a single image or a bad rate is a <see cref="ReelException"/> with one line saying so.
    /// </summary>
    /// <param name="folderRate">The frame rate of a folder's frames ("24", "24000/1001"); a video keeps its own.</param>
    /// <param name="deinterlace">Whether a video's fields are joined as it is decoded (see <see cref="Deinterlace"/>); a folder's images are whole frames.</param>
    /// <param name="range">Only this stretch of the source (a folder's frames by their times at <paramref name="folderRate"/>), timed from zero; null for all of it.</param>
    /// <param name="role">What the path is to the command, for the error when it is missing: "input", or the option that named it ("--processed").</param>
    public static FrameSource Open(string path, string folderRate = DefaultFolderRate, Deinterlace deinterlace = Deinterlace.Off, TimeRange? range = null,
        string role = "input")
    {
        if (Directory.Exists(path))
        {
            if (deinterlace is Deinterlace.All or Deinterlace.Ivtc)
                throw new ReelException($"--deinterlace {(deinterlace == Deinterlace.All ? "all" : "ivtc")} takes a video; {path} is a folder of images, each a whole frame");
            if (!Rational.TryParse(folderRate, out var num, out var den) || num <= 0 || den <= 0)
                throw new UsageException($"frame rate must be a positive number or fraction like 24000/1001, got '{folderRate}'");
            var files = FrameFolder.List(path);
            if (range is not null) files = Cut(files, range, num, den, path);
            var (w, h, aspect, pixels) = ImageIO.Describe(files[0]);
            return new FrameSource(path, w, h, $"{den}/{num}", files.Count, null, files, folderRate) { FolderAspect = aspect, FolderPixels = pixels };
        }
        if (!File.Exists(path)) throw new ReelException($"{role} not found: {path}");
        if (ImageIO.IsImagePath(path)) throw new ReelException($"{path} is a single image; give a video or a folder of frames");
        var info = VideoFile.Probe(path);
        // MPEG-TS and MPEG-PS have no index: ffmpeg's seek lands on the next keyframe after the time, not the one before it.
        if (range is not null && info.Container is "mpegts" or "mpeg")
            throw new ReelException($"--from/--to cannot cut {path} to the frame: {(info.Container == "mpegts" ? "MPEG-TS" : "MPEG-PS")} has no index, " +
                                    $"and ffmpeg's seek in it lands on the next keyframe; copy it into Matroska first " +
                                    $"(ffmpeg -i {Path.GetFileName(path)} -map 0 -c copy {Path.GetFileNameWithoutExtension(path)}.mkv) and restore that");
        // A stream flagged interlaced may hold progressive frames throughout (a film's PAL transfer): its frames are looked at
        // before they are deinterlaced (DecodeFilter).
        var fields = deinterlace == Deinterlace.Auto && info.Interlaced || deinterlace == Deinterlace.Ivtc ? new Lazy<FieldCheck>(() => FieldCheck.Of(path, info, range)) : null;
        // bwdif's send_frame: one frame out per frame in, at its timestamp, so nothing downstream changes but
        // the pixels; fieldmatch passes frames through at theirs, and decimate drops one in five and times the
        // rest on the film's regular grid from the first.
        string? filter = deinterlace switch
        {
            Deinterlace.All => "bwdif=mode=send_frame:deint=all",
            Deinterlace.Auto when info.Interlaced => "bwdif=mode=send_frame:deint=interlaced",
            Deinterlace.Ivtc => $"fieldmatch=order=auto:combmatch=full,bwdif=mode=send_frame:deint=interlaced,decimate=cycle={IvtcCycle}",
            _ => null,
        };
        if (deinterlace == Deinterlace.Ivtc) info = Film(info);
        if (range is not null) info = Cut(info, range, path);
        return new FrameSource(path, info.Width, info.Height, info.TimeBase, info.EstimatedFrames, info, null, info.FrameRate, filter, range, fields);
    }

    /// <summary>One frame of each cycle dropped: the rate and the count the decoding is held to are the film's, 4/5 of the stream's.</summary>
    private static VideoInfo Film(VideoInfo info) =>
        info with
        {
            FrameRate = Rational.TryParse(info.FrameRate, out var rateNum, out var rateDen) && rateNum > 0 && rateDen > 0
                ? Rational.Reduce(rateNum * (IvtcCycle - 1), rateDen * IvtcCycle) : info.FrameRate,
            FrameCount = info.FrameCount * (IvtcCycle - 1) / IvtcCycle,
            Timecode = info.Timecode is { } tc ? Timecodes.ScaleFrames(tc, IvtcCycle - 1, IvtcCycle) : null,
        };

    /// <summary>
    /// What the decoding of a range is held to: its length, no frame count (the container's is the
    /// whole film's); the start timecode moved to the range's start (drop-frame ones counted as such).
    /// </summary>
    private static VideoInfo Cut(VideoInfo info, TimeRange range, string path)
    {
        if (range.From is { } from && info.VideoEndSeconds is { } end && from.TotalSeconds >= end)
            throw new ReelException(string.Create(CultureInfo.InvariantCulture, $"--from {from.TotalSeconds:0.###} s is at or past the end of {path} ({end:0.###} s)"));
        return info with
        {
            FrameCount = null,
            CutFrames = OnGrid(info, range),
            DurationSeconds = range.Length(info.VideoStartSeconds, info.VideoEndSeconds),
            VideoDurationSeconds = null,
            Timecode = info.Timecode is { } tc && range.From is { } start ? Timecodes.Advance(tc, info.FrameRate, start) : info.Timecode,
        };
    }

    /// <summary>
    /// The frames of the video's nominal grid (its start plus whole frame lengths) from the range's start (or the video's)
    /// up to its end (or the video's); null where the rate or the end is unknown.
    /// </summary>
    private static long? OnGrid(VideoInfo info, TimeRange range)
    {
        if (!Rational.TryParse(info.FrameRate, out var num, out var den) || num <= 0 || den <= 0) return null;
        double start = info.VideoStartSeconds, end = Math.Min(range.To?.TotalSeconds ?? double.PositiveInfinity, info.VideoEndSeconds ?? double.PositiveInfinity);
        if (double.IsInfinity(end)) return null;
        // Frames at or after a time: from ⌈(t − start) × rate⌉, less a thousandth of a frame for times given to the frame
        // and for ffprobe's durations, rounded to the microsecond (100 frames at 30000/1001 are 3.336667 s: 100.00001).
        long First(double t) => (long)Math.Ceiling(Math.Max(0, t - start) * num / den - 1e-3);
        return Math.Max(0, First(end) - First(range.From?.TotalSeconds ?? start));
    }

    /// <summary>The folder's frames whose times (index ÷ rate) fall in the range.</summary>
    private static IReadOnlyList<string> Cut(IReadOnlyList<string> files, TimeRange range, long num, long den, string path)
    {
        // The first frame at or after a time: ⌈t × rate⌉, less a hair (1e-9 of a frame) for times given to the frame.
        int At(TimeSpan t) => (int)Math.Clamp(Math.Ceiling(t.TotalSeconds * num / den - 1e-9), 0, files.Count);
        int first = range.From is { } f ? At(f) : 0, end = range.To is { } t ? At(t) : files.Count;
        if (end <= first)
            throw new ReelException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: no frame {range} (its {files.Count} frames at {num}/{den} fps run {files.Count * (double)den / num:0.###} s)"));
        return files.Skip(first).Take(end - first).ToList();
    }

    /// <summary>3:2 pulldown repeats one frame in five.</summary>
    private const int IvtcCycle = 5;

    /// <summary>The frames in order; cancelling stops a video's decoder at once (a read waiting on it ends).</summary>
    public IEnumerable<SourceFrame> Read(PixelFormat format, CancellationToken cancel = default)
    {
        if (Video is not null)
        {
            int i = 0;
            _log = new DecodeLog();
            long? endNs = _range?.Span?.Ticks * 100;
            // A range's cut, or none: ReadFrames times the whole of a TS from the file's start itself, and says "the range" only of a range.
            foreach (var f in VideoFile.ReadFrames(SourcePath, Video, format, _log, cancel, DecodeFilter, _range?.InputOptions(), endNs))
            {
                yield return new SourceFrame(i, f.Pixels, f.PtsNs, FrameName(i)) { Resized = f.Resized };
                i++;
            }
            yield break;
        }
        Rational.TryParse(FrameRate, out var num, out var den);
        for (int k = 0; k < Files!.Count; k++)
        {
            var (w, h, px) = ImageIO.ReadPixels(Files[k], format);
            if (w != Width || h != Height)
                throw new ReelException($"{Files[k]} is {w}×{h} but the first frame is {Width}×{Height}; all frames of a folder must be one size");
            yield return new SourceFrame(k, px, Rational.TicksToNs(k, den, num), FrameName(k));
        }
    }

    /// <summary>The name frame <paramref name="index"/> is written under in a folder output: a video's numbered from 0, a folder's as its image, as PNG.</summary>
    public string FrameName(int index) => Files is null
        ? string.Create(CultureInfo.InvariantCulture, $"{index:D6}.png")
        : Path.ChangeExtension(Path.GetFileName(Files[index]), ".png");
}
