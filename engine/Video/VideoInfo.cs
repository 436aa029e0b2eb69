namespace Reel.Engine.Video;

/// <summary>
/// What ffprobe says about a video. Width and height are as displayed: a stream stored sideways
/// with rotation metadata is decoded upright (ffmpeg applies the rotation), so its sizes are swapped.
/// </summary>
public sealed record VideoInfo(int Width, int Height, string FrameRate, int? FrameCount, bool HasAudio)
{
    /// <summary>The video stream's time base (e.g. "1/15360"); the encoder keeps it so timestamps survive exactly.</summary>
    public string TimeBase { get; init; } = "1/90000";
    /// <summary>Frames are stored out of display order (B-frames: ffprobe's has_b_frames, the decoder's delay, above 0).</summary>
    public bool ReordersFrames { get; init; }
    /// <summary>Display rotation (0, 90, 180, 270) from the stream's display matrix or rotate tag; 90 and 270 swap the sizes.</summary>
    public int Rotation { get; init; }
    /// <summary>ffprobe's codec name of each audio stream, in stream order ("aac", "unknown" when it names none); decides which are copied and which converted.</summary>
    public IReadOnlyList<string> AudioCodecs { get; init; } = Array.Empty<string>();
    /// <summary>The video stream's codec as ffprobe names it ("h264", "hevc", …).</summary>
    public string VideoCodec { get; init; } = "";
    /// <summary>ffprobe's codec name of each subtitle stream, in stream order ("subrip", "hdmv_pgs_subtitle", …).</summary>
    public IReadOnlyList<string> SubtitleCodecs { get; init; } = Array.Empty<string>();
    /// <summary>
    /// The cover art: each attached picture's stream index in the file and codec ("mjpeg", "png"), in stream
    /// order. ffmpeg shows them as one-frame video streams; none is ever the video restored.
    /// </summary>
    public IReadOnlyList<(int Index, string Codec)> CoverArt { get; init; } = Array.Empty<(int, string)>();
    /// <summary>Video streams after the one restored that are not cover art (another angle, a signer): none is restored or copied.</summary>
    public int OtherVideoStreams { get; init; }
    /// <summary>
    /// The shape of a pixel, width:height as ffprobe gives it ("16:15": PAL DVD at 4:3), turned with
    /// the rotation; "1:1" for square pixels or none stated. Written back, so a film shows at its own
    /// aspect ratio.
    /// </summary>
    public string SampleAspect { get; init; } = "1:1";
    /// <summary>The SMPTE timecode of the first frame ("01:00:00:00"; ';' before the frames for drop-frame), where the source records one.</summary>
    public string? Timecode { get; init; }
    /// <summary>
    /// The file's metadata holds QuickTime metadata keys ("com.apple.quicktime.make", "….model", "….creationdate": a
    /// phone's provenance), which ffmpeg writes back into MOV and MP4 only when asked to (<see cref="StreamCopy"/>).
    /// </summary>
    public bool HasMetadataKeys => FileTags.Any(t => t.Name.StartsWith("com.", StringComparison.Ordinal));
    /// <summary>The file's chapters: copied into an output, cut with a range (<see cref="StreamSource"/>), and missed there with a note (<see cref="StreamSource.NoteLosses"/>).</summary>
    public IReadOnlyList<Chapter> Chapters { get; init; } = Array.Empty<Chapter>();
    /// <summary>The file's own tags (title, comment, creation_time, …; named as its container spells them), as <see cref="Chapters"/>.</summary>
    public IReadOnlyList<(string Name, string Value)> FileTags { get; init; } = Array.Empty<(string, string)>();
    /// <summary>The video stream's language and title tags, and the reel's name (from the timecode track too), where it has them: what the restored stream is tagged with.</summary>
    public IReadOnlyList<(string Name, string Value)> VideoTags { get; init; } = Array.Empty<(string, string)>();
    /// <summary>The YUV matrix the stream states (ffprobe's color_space: "bt709", "smpte170m", …); null where it states none.</summary>
    public string? ColourMatrix { get; init; }
    /// <summary>The transfer the stream states (ffprobe's color_transfer: "bt709", "smpte2084" for PQ, "arib-std-b67" for HLG); null where it states none.</summary>
    public string? Transfer { get; init; }
    /// <summary>The stream states an HDR transfer (PQ or HLG), whose code values are not an SDR picture's.</summary>
    public bool IsHdr => Transfer is "smpte2084" or "arib-std-b67";
    /// <summary>
    /// YUV in video (limited) range: a YUV pix_fmt other than JPEG's yuvj*, whose color_range is tv or unstated. Its luma codes
    /// above 235 (super-whites) and below 16 are clipped as it is read, as every player shows them.
    /// </summary>
    public bool LimitedRange { get; init; }
    /// <summary>The stream says its frames are two interlaced fields (ffprobe's field order tt, bb, tb or bt).</summary>
    public bool Interlaced { get; init; }
    /// <summary>Bits a sample as stored (10 for yuv420p10le, 16 for gray16le or rgb48le), from ffprobe's pix_fmt; 8 where it names no more.</summary>
    public int BitsPerSample { get; init; } = 8;
    /// <summary>The container's duration (the longest stream's).</summary>
    public double? DurationSeconds { get; init; }
    /// <summary>The video stream's own length where the container records one (MP4's track duration; Matroska's DURATION tag less the stream's start).</summary>
    public double? VideoDurationSeconds { get; init; }
    /// <summary>Where the video stream starts, in seconds after the file's start: more than 0 for a video that starts after its audio.</summary>
    public double VideoStartSeconds { get; init; }
    /// <summary>Where the video ends, in seconds after the file's start: its start and length, else the container's duration; null where neither is known.</summary>
    public double? VideoEndSeconds => VideoDurationSeconds is { } length ? VideoStartSeconds + length : DurationSeconds;
    /// <summary>
    /// A range's frames counted on the video's nominal grid (its first frame's time plus whole frame lengths), for progress
    /// (<see cref="EstimatedFrames"/>): its length × rate, rounded, fell a frame short where a frame sat just inside either
    /// end (55 frames in the first 2.2 s of a 25 fps video that starts at 0.021 s, 54 said), and the bar read 100% early.
    /// </summary>
    public long? CutFrames { get; init; }
    /// <summary>ffprobe's format_name ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "mpegts", "mpeg"); null where it gives none.</summary>
    public string? Container { get; init; }
    /// <summary>
    /// The input options that time an MPEG-TS or PS (broadcast recordings, AVCHD, DVD's VOB) from the file's start, as
    /// every other container is timed; none for the others. ffmpeg times such an input from the first of the streams it
    /// reads where the input has no offset of its own, so the video decoded alone started at 0 and the audio copied alone
    /// did too, whatever the gap between them (a TS whose sound led its picture by half a second came out half a second
    /// out of sync). A microsecond's offset, far under any stream's tick, is an offset: its reading and its copy then
    /// both count from the file's start.
    /// </summary>
    public IReadOnlyList<string> FileTiming => Container is "mpegts" or "mpeg" ? ["-itsoffset", "0.000001"] : [];

    /// <summary>
    /// The exact frame count when the container records it, else the video's length (the container's where it records
    /// none: audio that runs on past the picture made it twice the frames) × average rate (for progress only).
    /// </summary>
    public long? EstimatedFrames
    {
        get
        {
            if (FrameCount is { } n) return n;
            if (CutFrames is { } cut) return cut;
            if ((VideoDurationSeconds ?? DurationSeconds) is not { } d || !Rational.TryParse(FrameRate, out var num, out var den) || num <= 0 || den <= 0) return null;
            return (long)Math.Round(d * num / den);
        }
    }
}

/// <summary>A chapter of a file: its start and end in seconds from the file's start, and its tags (its title).</summary>
public sealed record Chapter(double Start, double End, IReadOnlyList<(string Name, string Value)> Tags);
