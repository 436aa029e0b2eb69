using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Reel.Engine.Video;

/// <summary>
/// A decoded frame: packed pixels and its presentation time in nanoseconds from the start of the
/// file (the first frame may start later than the audio; keeping that offset keeps them in sync).
/// </summary>
public sealed record DecodedFrame(byte[] Pixels, long PtsNs)
{
    /// <summary>The stream had another size here (it changed mid-stream); ffmpeg scaled the frame to the first size.</summary>
    public bool Resized { get; init; }
}

/// <summary>
/// Videos through ffmpeg child processes: probe with ffprobe's JSON, decode to packed frames on
/// stdout with each frame's timestamp (so variable frame rates survive), one process per file.
/// </summary>
public static class VideoFile
{
    /// <summary>The containers Reel writes: each holds the encoders it uses and reads back as written.</summary>
    private static readonly string[] WrittenExtensions = { ".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".ts", ".nut" };

    /// <summary>
    /// Video containers read but never written: MPEG-PS holds MPEG-1/2 video, which Reel does not encode (H.264 copied
    /// into it reads back as MP3); the others hold only their own families. An output named so is refused rather than
    /// made a folder of frames, as a name without a video extension would be.
    /// </summary>
    // Elementary streams and animations too (.y4m, .m2v, .gif, …): ffmpeg reads them as video, and as an output each
    // became a folder of PNG frames named like a video.
    private static readonly string[] ReadExtensions =
    {
        ".mpg", ".mpeg", ".vob", ".m2ts", ".mts", ".flv", ".f4v", ".wmv", ".asf", ".3gp", ".3g2", ".ogv", ".ogg", ".mxf", ".dv", ".rm", ".rmvb",
        ".gif", ".y4m", ".m1v", ".m2v", ".mjpeg", ".mjpg", ".h264", ".264", ".hevc", ".h265", ".265", ".ivf",
    };

    /// <summary>
    /// The input's video as ffmpeg maps it: its first video stream that is not an attached picture (cover art,
    /// which ffmpeg shows as a one-frame video stream and a tagging tool may put first), as <see cref="Probe"/> chooses.
    /// </summary>
    public const string MainVideo = "0:V:0";

    /// <summary>The path's extension names a video container Reel reads (any case): a written one (<see cref="IsWrittenVideoPath"/>), or .mpg, .vob, .m2ts, .flv, .wmv, …</summary>
    public static bool IsVideoPath(string path) => IsWrittenVideoPath(path) || ReadExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>The presentation time of each packet of the first video stream, in ticks of its time base, in file order.</summary>
    public static IReadOnlyList<long> PacketTimes(string path, CancellationToken cancel) =>
        Encoding.UTF8.GetString(Ffmpeg.Run(Ffmpeg.FfprobePath,
                new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-of", "csv=p=0", "-i", Ffmpeg.Local(path) }, ReadOnlyMemory<byte>.Empty, path, cancel))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => long.TryParse(l.TrimEnd(','), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var t) ? t
                : throw new MediaException($"{path}: a video packet without a time ({l})")).ToList();

    /// <summary>The containers Reel writes, for messages: ".mp4, .mkv, …".</summary>
    public static string WrittenList => string.Join(", ", WrittenExtensions);

    /// <summary>The path names an AVI file (any case), the container without timestamps.</summary>
    public static bool IsAvi(string? path) => string.Equals(Path.GetExtension(path), ".avi", StringComparison.OrdinalIgnoreCase);

    /// <summary>The path's extension names a container Reel writes (.mp4, .mkv, .mov, .avi, .webm, .m4v, .ts, .nut; any case): an output path with one is encoded as a video.</summary>
    public static bool IsWrittenVideoPath(string path) => WrittenExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    private static readonly string[] AudioExtensions = { ".mka", ".mp3", ".wav", ".flac", ".m4a", ".aac", ".opus", ".oga", ".ac3", ".wma" };

    /// <summary>Refuses an output named as a video Reel reads but does not write (.mpg, .flv, …), naming the ones it writes, or as a sound file.</summary>
    public static void RefuseUnwritten(string output)
    {
        if (AudioExtensions.Contains(Path.GetExtension(output).ToLowerInvariant()))
            throw new ReelException($"{output} is named as a sound file; Reel writes {WrittenList} videos (or a folder of frames)");
        if (IsVideoPath(output) && !IsWrittenVideoPath(output))
            throw new ReelException($"{output}: Reel writes {WrittenList} videos, not {Path.GetExtension(output)}; " +
                                    "give one of those (or a name without a video extension for a folder of frames)");
    }

    /// <summary>
    /// What ffprobe says about the file's first video stream that is not cover art (<see cref="MainVideo"/>), its audio
    /// and subtitle streams, cover art and duration; a <see cref="MediaException"/> when the file is missing or has no video stream.
    /// </summary>
    public static VideoInfo Probe(string path)
    {
        if (!File.Exists(path)) throw new MediaException($"input not found: {path}");
        var json = Ffmpeg.Run(Ffmpeg.FfprobePath,
            new[]
            {
                "-v", "error", "-show_entries",
                "stream=index,codec_type,codec_name,width,height,sample_aspect_ratio,field_order,color_space,color_transfer,color_range,pix_fmt,avg_frame_rate,r_frame_rate,has_b_frames,nb_frames,time_base,start_time,duration:stream_disposition=attached_pic:stream_tags=rotate,DURATION,timecode,language,title,reel_name:stream_side_data=rotation:format=format_name,start_time,duration:format_tags:program_tags:chapter=start_time,end_time:chapter_tags",
                // -i: ffprobe took a file named "-dash.mp4" as an option.
                "-of", "json", "-i", Ffmpeg.Local(path),
            },
            ReadOnlyMemory<byte>.Empty, path, doing: $"probing {path}");
        try
        {
            using var doc = JsonDocument.Parse(json);
            var streams = doc.RootElement.GetProperty("streams").EnumerateArray().ToList();
            List<string> Codecs(string type) => streams
                .Where(s => s.TryGetProperty("codec_type", out var t) && t.GetString() == type)
                .Select(s => s.TryGetProperty("codec_name", out var c) ? c.GetString() ?? "unknown" : "unknown").ToList();
            static bool IsCover(JsonElement s) => s.TryGetProperty("disposition", out var d) && d.TryGetProperty("attached_pic", out var a) && a.GetInt32() == 1;
            var videos = streams.Where(s => s.TryGetProperty("codec_type", out var t) && t.GetString() == "video").ToList();
            var video = videos.FirstOrDefault(s => !IsCover(s));
            if (video.ValueKind == JsonValueKind.Undefined)
                throw new MediaException(videos.Count > 0 ? $"{path}: its only pictures are cover art, no video" : $"{path}: no video stream (not a video?)");
            int w = video.GetProperty("width").GetInt32(), h = video.GetProperty("height").GetInt32();
            if (w <= 0 || h <= 0) throw new MediaException($"{path}: video has no size");
            string rate = video.TryGetProperty("avg_frame_rate", out var r) && r.GetString() is { } a && a != "0/0" ? a
                : video.GetProperty("r_frame_rate").GetString()!;
            int? count = video.TryGetProperty("nb_frames", out var n) && int.TryParse(n.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : null;
            int rotation = ReadRotation(video);
            if (rotation % 180 != 0) (w, h) = (h, w);
            static double? Seconds(JsonElement e) => e.TryGetProperty("duration", out var d)
                && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) && secs > 0 ? secs : null;
            double? duration = doc.RootElement.TryGetProperty("format", out var f) ? Seconds(f) : null;
            var audio = Codecs("audio");
            double fileStart = f.ValueKind == JsonValueKind.Object ? StartTime(f) : 0;
            // The file's clock at its start, negative too: chapters are kept from it, as a range's --from counts (ffmpeg's seek adds it).
            double fileClock = f.ValueKind == JsonValueKind.Object ? TimeField(f, "start_time") : 0;
            double? videoLength = Seconds(video) ?? TagDuration(video) - StartTime(video);
            // A trimmed MP4 (a phone's trim, ffmpeg -ss with -c copy) keeps the frames before the cut behind an edit list:
            // the container lists them, the decoder never shows them, and "only 12 of the 20 frames could be decoded" was a
            // false alarm (a failed run with --strict). Its average rate is the whole track's, its duration the edit's.
            if (count is { } listed && videoLength is { } length && Rational.TryParse(rate, out long rn, out long rd) && rn > 0 && rd > 0
                && listed > length * rn / rd + 2)
                count = null;
            string? pixelFormat = video.TryGetProperty("pix_fmt", out var pixels) ? pixels.GetString() : null;
            return new VideoInfo(w, h, rate, count, audio.Count > 0)
            {
                TimeBase = video.TryGetProperty("time_base", out var tb) && Rational.TryParse(tb.GetString(), out _, out _) ? tb.GetString()! : "1/90000",
                ReordersFrames = video.TryGetProperty("has_b_frames", out var reorder) && reorder.ValueKind == JsonValueKind.Number && reorder.GetInt32() > 0,
                Rotation = rotation,
                SampleAspect = ReadSampleAspect(video, rotation),
                Interlaced = video.TryGetProperty("field_order", out var fields) && fields.GetString() is "tt" or "bb" or "tb" or "bt",
                BitsPerSample = pixelFormat is null ? 8 : BitsOf(pixelFormat),
                Transfer = video.TryGetProperty("color_transfer", out var transfer) && transfer.GetString() is { } t and not ("unknown" or "reserved") ? t : null,
                LimitedRange = pixelFormat is not null && IsVideoRangeYuv(pixelFormat)
                               && !(video.TryGetProperty("color_range", out var range) && range.GetString() == "pc"),
                ColourMatrix = video.TryGetProperty("color_space", out var matrix) && matrix.GetString() is { } m and not ("unknown" or "reserved") ? m : null,
                Timecode = ReadTimecode(streams.Prepend(video).Append(f)),
                Chapters = doc.RootElement.TryGetProperty("chapters", out var chapters) && chapters.ValueKind == JsonValueKind.Array
                    ? chapters.EnumerateArray().Select(c => new Chapter(TimeField(c, "start_time") - fileClock, TimeField(c, "end_time") - fileClock, Tags(c))).ToList()
                    : Array.Empty<Chapter>(),
                FileTags = FileAndServiceTags(f, doc.RootElement),
                VideoTags = Tags(video).Where(t => t.Name is "language" or "title" && t.Value.Length > 0)
                    .Concat(ReadReelName(streams.Prepend(video)) is { } reel ? [("reel_name", reel)] : []).ToList(),
                AudioCodecs = audio,
                VideoCodec = video.TryGetProperty("codec_name", out var videoCodec) ? videoCodec.GetString() ?? "" : "",
                SubtitleCodecs = Codecs("subtitle"),
                OtherVideoStreams = videos.Count(s => !IsCover(s)) - 1,
                CoverArt = videos.Where(IsCover)
                    .Select(s => (s.GetProperty("index").GetInt32(), s.TryGetProperty("codec_name", out var c) ? c.GetString() ?? "unknown" : "unknown")).ToList(),
                DurationSeconds = duration,
                VideoDurationSeconds = videoLength,
                VideoStartSeconds = Math.Max(0, StartTime(video) - fileStart),
                Container = f.ValueKind == JsonValueKind.Object && f.TryGetProperty("format_name", out var format) ? format.GetString() : null,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new MediaException($"{path}: ffprobe could not describe it (not a video?)");
        }
    }

    /// <summary>
    /// The conversion of untagged HD to RGB as players make it: ffmpeg takes YUV that states no matrix
    /// for BT.601 at every size, players (and Reel's encoder) for BT.709 from 1280 wide or over 576 high,
    /// so a colour input's red of 251 came in as 230. Tagged video and SD are ffmpeg's to convert; RGB sources ignore the matrix.
    /// </summary>
    private static string? ToRgb(VideoInfo info) => ReadsAsBt709(info) ? "scale=in_color_matrix=bt709,format=rgb24" : null;

    /// <summary>The video states no matrix and is HD: its RGB is read as BT.709, where ffmpeg alone (and Reel before 2026-12-06) took BT.601.</summary>
    internal static bool ReadsAsBt709(VideoInfo info) => info.ColourMatrix is null && EncodeSettings.Matrix(info.Width, info.Height) == "bt709";

    /// <summary>A section's tags (ffprobe's "tags" object of a format or program) as names and values; none where it has none.</summary>
    internal static IReadOnlyList<(string Name, string Value)> Tags(JsonElement section) =>
        section.ValueKind == JsonValueKind.Object && section.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Object
            ? tags.EnumerateObject().Select(t => (t.Name, t.Value.ValueKind == JsonValueKind.String ? t.Value.GetString()! : t.Value.ToString())).ToList()
            : Array.Empty<(string, string)>();

    /// <summary>
    /// The file's tags, and an MPEG-TS's channel: the service_name and service_provider of its first program, which ffmpeg
    /// keeps as the program's tags, not the file's, so -map_metadata never copied them (a recording lost its channel's name).
    /// </summary>
    private static IReadOnlyList<(string Name, string Value)> FileAndServiceTags(JsonElement format, JsonElement root)
    {
        var tags = Tags(format).ToList();
        if (root.TryGetProperty("programs", out var programs) && programs.ValueKind == JsonValueKind.Array && programs.GetArrayLength() > 0)
            tags.AddRange(Tags(programs[0]).Where(t => t.Name is "service_name" or "service_provider" && !tags.Any(f => f.Name == t.Name)));
        return tags;
    }

    /// <summary>A time field of ffprobe's in seconds ("start_time": "1.500000"); 0 where it gives none.</summary>
    private static double TimeField(JsonElement section, string field) =>
        section.TryGetProperty(field, out var v) && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : 0;

    /// <summary>The stream's first timestamp in seconds (0 where ffprobe gives none): a Matroska stream's DURATION tag is its end, not its length.</summary>
    private static double StartTime(JsonElement stream) =>
        stream.TryGetProperty("start_time", out var s) && double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t > 0 ? t : 0;

    /// <summary>A Matroska stream's duration from its DURATION tag ("HH:MM:SS.nnnnnnnnn"), which ffmpeg's muxer writes per stream.</summary>
    private static double? TagDuration(JsonElement video) =>
        video.TryGetProperty("tags", out var tags) && tags.TryGetProperty("DURATION", out var tag)
        && TimeSpan.TryParseExact(tag.GetString()?[..Math.Min(tag.GetString()!.Length, 16)], @"hh\:mm\:ss\.FFFFFFF", CultureInfo.InvariantCulture, out var t)
        && t > TimeSpan.Zero ? t.TotalSeconds : null;

    /// <summary>
    /// The first timecode tag (any case: Matroska's is TIMECODE) of the video stream, the others (a MOV's
    /// tmcd track) or the container, if it reads as HH:MM:SS:FF (';' for drop-frame).
    /// </summary>
    private static string? ReadTimecode(IEnumerable<JsonElement> where) => where
        .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object)
        .SelectMany(e => e.GetProperty("tags").EnumerateObject())
        .Where(tag => tag.Name.Equals("timecode", StringComparison.OrdinalIgnoreCase) && tag.Value.ValueKind == JsonValueKind.String)
        .Select(tag => tag.Value.GetString()!)
        .FirstOrDefault(TimecodePattern.IsMatch);

    /// <summary>
    /// The reel's name (a tape's or camera roll's: "A001C003"), which a MOV keeps on its timecode track and Matroska as a
    /// tag of the video; ffmpeg writes it back from the video stream's tags, onto the timecode track it makes.
    /// </summary>
    private static string? ReadReelName(IEnumerable<JsonElement> streams) => streams
        .SelectMany(Tags).Where(t => t.Name.Equals("reel_name", StringComparison.OrdinalIgnoreCase) && t.Value.Length > 0)
        .Select(t => t.Value).FirstOrDefault();

    // ffmpeg writes the frames with one digit at 10 fps and below ("10:00:00:0"): two required, such a timecode was dropped.
    private static readonly Regex TimecodePattern = new(@"^[0-9]{2}:[0-9]{2}:[0-9]{2}[:;.][0-9]{1,3}$", RegexOptions.Compiled);

    // A depth before the byte order (yuv420p10le, gray16be, gbrp12le) or packed 16-bit RGB (rgb48le, bgra64le, ya16le), and the semi-planar 10/16-bit forms (p010le, p216le).
    private static readonly Regex DeepPixels = new(@"(?:^(?:rgb|bgr)(?:48|a64)|^ya16|^p[0-9]1[06]|[^0-9](?<depth>9|1[0-6]))(?:le|be)$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>Bits a sample of an ffmpeg pixel format: 8 unless <see cref="DeepPixels"/> reads more.</summary>
    /// <param name="pixelFormat">ffprobe's pix_fmt.</param>
    public static int BitsOf(string pixelFormat)
    {
        var m = DeepPixels.Match(pixelFormat);
        if (!m.Success) return 8;
        if (m.Groups["depth"].Success) return int.Parse(m.Groups["depth"].Value, CultureInfo.InvariantCulture);
        // p010le, p210le: 10 bits; p016le, rgb48le, bgra64le, ya16le: 16.
        return pixelFormat is ['p', _, '1', '0', ..] ? 10 : 16;
    }

    /// <summary>Whether an ffmpeg pixel format is YUV stored in video range unless tagged otherwise: yuv*, nv*, p0*/p2*/p4*, uyvy, yuyv (not yuvj*, JPEG's full range).</summary>
    private static bool IsVideoRangeYuv(string pixelFormat) =>
        (pixelFormat.StartsWith("yuv", StringComparison.Ordinal) && !pixelFormat.StartsWith("yuvj", StringComparison.Ordinal))
        || new[] { "nv", "p0", "p2", "p4", "uyvy", "yuyv", "yvyu" }.Any(prefix => pixelFormat.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Whether an ffmpeg pixel format carries alpha: rgba, bgra, argb, abgr, ya8, yuva420p, gbrap, rgba64be, ya16be, ….</summary>
    /// <param name="pixelFormat">ffprobe's pix_fmt.</param>
    public static bool HasAlpha(string pixelFormat) =>
        new[] { "ya", "yuva", "gbra", "rgba", "bgra", "argb", "abgr" }.Any(prefix => pixelFormat.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>ffprobe's "N:M" in lowest terms, its sides swapped where the picture is turned a quarter; "1:1" where absent, unknown ("0:1") or square.</summary>
    internal static string ReadSampleAspect(JsonElement video, int rotation)
    {
        var parts = video.TryGetProperty("sample_aspect_ratio", out var s) ? (s.GetString() ?? "").Split(':') : Array.Empty<string>();
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int m) || n <= 0 || m <= 0 || n == m) return "1:1";
        int g = (int)System.Numerics.BigInteger.GreatestCommonDivisor(n, m);
        (n, m) = (n / g, m / g);
        return rotation % 180 != 0 ? $"{m}:{n}" : $"{n}:{m}";
    }

    /// <summary>Display rotation from the stream's display matrix, else its legacy rotate tag, as 0/90/180/270.</summary>
    private static int ReadRotation(JsonElement video)
    {
        double? degrees = null;
        if (video.TryGetProperty("side_data_list", out var list))
            foreach (var sd in list.EnumerateArray())
                if (sd.TryGetProperty("rotation", out var rot) && rot.TryGetDouble(out var v)) degrees = v;
        if (degrees is null && video.TryGetProperty("tags", out var tags) && tags.TryGetProperty("rotate", out var tag)
            && double.TryParse(tag.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t)) degrees = t;
        return ((int)Math.Round((degrees ?? 0) / 90) % 4 + 4) % 4 * 90;
    }

    private static readonly Regex ShowInfoFrame = new(@"\] n:\s*\d+ pts:\s*(-?\d+|NOPTS).*? s:(\d+)x(\d+) ", RegexOptions.Compiled);
    private static readonly Regex ShowInfoTimeBase = new(@"config in time_base: (\d+)/(\d+)", RegexOptions.Compiled);
    private static readonly Regex DecodeError = new(@"error|invalid|corrupt|partial file", RegexOptions.Compiled | RegexOptions.IgnoreCase);

    /// <summary>
    /// Decodes every frame as packed rgb24 (H, W, 3) or gray8, streaming, upright, with its timestamp.
    /// Frames are passed through as decoded (no frame-rate conversion); ffmpeg's showinfo filter
    /// reports each one's pts and size on stderr. A truncated last frame, a decoder error or no frames at all
    /// is a <see cref="MediaException"/>. Abandoning the enumeration stops ffmpeg, and so does
    /// cancelling (at once, even while a read waits on it). <paramref name="log"/>
    /// gathers what the decoding lost on the way (see <see cref="DecodeLog"/>). <paramref name="filter"/>, an ffmpeg
    /// filter that keeps the frame size (the deinterlacer), runs on each frame before it is reported; <paramref name="seek"/>,
    /// input options, cuts the video (<see cref="TimeRange.InputOptions"/>; null reads all of it timed from the file's start,
    /// <see cref="VideoInfo.FileTiming"/>), and frames at or after <paramref name="endNs"/> (the
    /// range's length) are left out: ffmpeg's input -to counts from the video's first frame, so a video that starts
    /// after its audio came out that much longer than asked.
    /// Untagged HD is converted to RGB as BT.709 (see <see cref="ToRgb"/>).
    /// </summary>
    public static IEnumerable<DecodedFrame> ReadFrames(string path, VideoInfo info, PixelFormat format = PixelFormat.Rgb24, DecodeLog? log = null,
        CancellationToken cancel = default, string? filter = null, IReadOnlyList<string>? seek = null, long? endNs = null)
    {
        var shown = new BlockingCollection<(long? Pts, int Width, int Height)>();
        var lastLines = new ConcurrentQueue<string>();
        string? lastError = null;
        long tbNum = 1, tbDen = 1;
        void OnStderr(string line)
        {
            if (ShowInfoTimeBase.Match(line) is { Success: true } tb)
                (tbNum, tbDen) = (long.Parse(tb.Groups[1].Value, CultureInfo.InvariantCulture), Math.Max(1, long.Parse(tb.Groups[2].Value, CultureInfo.InvariantCulture)));
            else if (ShowInfoFrame.Match(line) is { Success: true } m)
                shown.Add((m.Groups[1].Value == "NOPTS" ? null : Rational.TicksToNs(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), tbNum, tbDen),
                    int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)));
            else if (!line.Contains("Parsed_showinfo", StringComparison.Ordinal))
            {
                lastLines.Enqueue(line.Trim());
                while (lastLines.Count > 8) lastLines.TryDequeue(out _);
                if (DecodeError.IsMatch(line)) lastError = Ffmpeg.Plain(line);
            }
        }
        using var tool = ToolProcess.Start(Ffmpeg.FfmpegPath,
            new[] { "-hide_banner", "-nostats", "-nostdin", "-v", "info" }.Concat(seek ?? info.FileTiming).Concat(new[]
            {
                "-i", Ffmpeg.Local(path), "-map", MainVideo, "-vf", string.Join(',', new[] { filter, format == PixelFormat.Rgb24 ? ToRgb(info) : null, "showinfo" }.OfType<string>()),
                "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", format == PixelFormat.Gray8 ? "gray" : "rgb24", "-",
            }),
            $"decoding {path}", readOutput: true, onStderrLine: OnStderr, cancel: cancel);
        // When stderr ends, no frame waits for its timestamp any more.
        tool.StderrDrained.ContinueWith(_ => shown.CompleteAdding(), TaskScheduler.Default);
        var stdout = tool.Output;
        int frameBytes = info.Width * info.Height * ImageIO.Channels(format);
        long nominalNs = Rational.FrameNs(info.FrameRate);
        int frames = 0;
        long? origin = null;
        long previous = -1;
        while (true)
        {
            var buffer = new byte[frameBytes];
            int read = stdout.ReadAtLeast(buffer, frameBytes, throwOnEndOfStream: false);
            if (read == 0) break;
            if (read < frameBytes) throw new MediaException($"{path}: frame {frames} is truncated ({read} of {frameBytes} bytes)");
            var (pts, w, h) = shown.TryTake(out var s, Timeout.Infinite) ? s : (null, info.Width, info.Height);
            // Times count from the file's start as ffmpeg reports them; only a negative start is moved to 0.
            origin ??= Math.Min(0, pts ?? 0);
            // A frame without a timestamp follows the previous at the nominal rate; one that repeats or
            // goes back in time (broken muxers do this) moves one tick past it, as close as a container allows.
            long ns = pts is not { } v ? (frames == 0 ? 0 : previous + nominalNs)
                : v - origin.Value > previous ? v - origin.Value
                : previous + Math.Max(1, Rational.TicksToNs(1, tbNum, tbDen));
            previous = ns;
            if (ns >= endNs) continue;
            frames++;
            bool resized = (w, h) != (info.Width, info.Height);
            log?.Add(ns, resized ? (w, h) : null);
            yield return new DecodedFrame(buffer, ns) { Resized = resized };
        }
        int code = tool.WaitForExit();
        cancel.ThrowIfCancellationRequested();
        if (code != 0)
            throw new MediaException($"{path}: ffmpeg failed to decode: {(lastLines.LastOrDefault() is { } why ? why : $"exit code {code}")}");
        // A range that starts inside the last frame's time holds no frame's start: it said the film had no frames.
        if (frames == 0)
            throw new MediaException(seek is { Count: > 0 } || endNs is not null
                ? $"{path}: no frame starts within the range asked for (--from/--to); the last frame may start just before --from"
                : $"{path}: the video has no frames");
        log?.Finish(lastError);
    }
}
