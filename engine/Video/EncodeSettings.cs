using System.Globalization;

namespace Reel.Engine.Video;

/// <summary>How the video stream is encoded. CRF and preset apply to the encoders that take them.</summary>
public sealed record EncodeSettings
{
    /// <summary>Any ffmpeg video encoder; null for the output's usual one (<see cref="For"/>).</summary>
    public string? Codec { get; init; }
    /// <summary>Constant-quality factor: 17 is visually lossless for H.264 and keeps film grain.</summary>
    public int Crf { get; init; } = 17;
    /// <summary>The x264/x265 speed–size preset ("ultrafast" … "veryslow"); other encoders ignore it.</summary>
    public string Preset { get; init; } = "medium";
    /// <summary>Whether <see cref="Crf"/> was asked for (--crf), not left at its default: an encoder without it then says so (<see cref="Unused"/>).</summary>
    public bool CrfGiven { get; init; }
    /// <summary>Whether <see cref="Preset"/> was asked for (--preset), not left at its default (<see cref="Unused"/>).</summary>
    public bool PresetGiven { get; init; }
    /// <summary>
    /// Whether the encoder may store frames out of display order (B-frames). Not for AVI, which times
    /// a frame by its place in the file: reordered frames come out late, the picture 2 frames behind its
    /// sound with x264's defaults.
    /// </summary>
    public bool Reorders { get; init; } = true;

    /// <summary>
    /// These settings for a video written to <paramref name="output"/>: the encoder named, else VP9 for
    /// WebM, which holds only VP8, VP9 and AV1, and libx264, which plays everywhere, for any other file
    /// and for pieces whose final container is not known yet (null: a plan's, joined later).
    /// </summary>
    public EncodeSettings For(string? output)
    {
        var chosen = Codec is not null ? this
            : this with { Codec = string.Equals(Path.GetExtension(output), ".webm", StringComparison.OrdinalIgnoreCase) ? "libvpx-vp9" : "libx264" };
        return VideoFile.IsAvi(output) ? chosen with { Reorders = false } : chosen;
    }

    private string Chosen => Codec ?? throw new InvalidOperationException("no encoder chosen: EncodeSettings.For(output) chooses it");

    /// <summary>
    /// The encoder's arguments for a video of <paramref name="width"/> × <paramref name="height"/>, the output's
    /// first video stream (v:0: cover art copied after it stays a copy whatever order the options come in): its
    /// pixel format (<see cref="OutputPixels"/>) and the tags saying what it holds: for YUV, which YUV that is
    /// (<see cref="Matrix"/>, limited range), for RGB that it is; and that its RGB is sRGB's (BT.709 primaries and transfer).
    /// </summary>
    internal IEnumerable<string> Arguments(int width, int height)
    {
        yield return "-c:v:0";
        yield return Chosen;
        if (OutputPixels is { } pixels)
        {
            yield return "-pix_fmt:v:0";
            yield return pixels;
        }
        foreach (var a in ColourTags(width, height)) yield return a;
        // max_b_frames is every encoder's option; those without B-frames ignore it.
        if (!Reorders)
        {
            yield return "-bf:v:0";
            yield return "0";
        }
        if (TakesCrf)
        {
            yield return "-crf";
            yield return Crf.ToString(CultureInfo.InvariantCulture);
        }
        if (TakesPreset)
        {
            yield return "-preset";
            yield return Preset;
        }
        // Constant quality alone (no bitrate cap), rows in parallel: the default is one thread, for WebM now the default encoder.
        if (Chosen == "libvpx-vp9")
            foreach (var a in new[] { "-b:v", "0", "-row-mt", "1" }) yield return a;
    }

    /// <summary>The encoders <see cref="Arguments"/> gives --preset: x264's and x265's (RGB x264 too).</summary>
    private bool TakesPreset => Chosen is "libx264" or "libx265" or "libx264rgb";

    /// <summary>The encoders <see cref="Arguments"/> gives --crf: those of distribution and RGB x264.</summary>
    private bool TakesCrf => TakesPreset || ForDistribution;

    /// <summary>
    /// The quality settings asked for that the chosen encoder has no use for, for the user; null where it takes them all.
    /// They were dropped without a word: --preset veryslow into a WebM ran at VP9's own speed, and --crf into FFV1 changed nothing.
    /// </summary>
    public string? Unused()
    {
        var said = new List<string>();
        if (CrfGiven && !TakesCrf) said.Add($"--crf {Crf} is not used with {Chosen}: Reel passes it to x264, x265, VP9 and AV1 (libaom, SVT-AV1) only");
        if (PresetGiven && !TakesPreset) said.Add($"--preset {Preset} is not used with {Chosen}: Reel passes it to x264 and x265 only");
        return said.Count == 0 ? null : string.Join("; ", said);
    }

    /// <summary>
    /// The output options that tag a video of this size as what <see cref="Arguments"/> makes of it (none where ffmpeg picks
    /// the format): also given to the copy that joins the pieces, since a NUT piece keeps no tags and a codec that stores
    /// none in its own stream (FFV1) came out untagged.
    /// </summary>
    public IReadOnlyList<string> ColourTags(int width, int height) => OutputPixels is { } pixels
        ? ["-colorspace", IsRgb(pixels) ? "rgb" : Matrix(width, height), "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", IsRgb(pixels) ? "pc" : "tv"]
        : [];

    /// <summary>
    /// The pixel format the video is written in. The encoders of distribution get 4:2:0; a lossless one (FFV1,
    /// Ut Video, …) gets Reel's RGB frames as they are where it takes RGB; any other the first it takes of 4:2:0,
    /// 10-bit 4:2:2 (ProRes's, DNxHR's), 4:2:2 and 4:4:4. Left to ffmpeg (null), which picked for each
    /// the format nearest RGB and tagged nothing: ProRes came out 4444 at 12 bits, FFV1 as untagged RGB.
    /// </summary>
    internal string? OutputPixels => ForDistribution ? "yuv420p" : Pick(Chosen, EncoderCaps.Of(Chosen).PixelFormats);

    /// <summary>
    /// Whether the video is written at more than 8 bits a sample (ProRes's and DNxHR's 10-bit 4:2:2, 10-bit 4:4:4): its
    /// frames are then given as 16-bit RGB, so the restored frames' smooth gradients keep what 8 bits would round into steps.
    /// </summary>
    internal bool TakesDeepFrames => OutputPixels is "yuv422p10le" or "yuv444p10le";

    /// <summary>
    /// One of the encoders of distribution (x264, x265, VP9, AV1), which Reel has always given 4:2:0 and which take any
    /// frame rate: nothing need be asked of ffmpeg about them.
    /// </summary>
    internal bool ForDistribution => Chosen is "libx264" or "libx265" or "libvpx-vp9" or "libaom-av1" or "libsvtav1";

    private static string? Pick(string encoder, IReadOnlyList<string> takes) =>
        (Lossless.Contains(encoder) ? RgbFormats.FirstOrDefault(takes.Contains) : null) ?? YuvFormats.FirstOrDefault(takes.Contains);

    /// <summary>Lossless encoders: they keep the restored RGB bit for bit where they take RGB.</summary>
    private static readonly HashSet<string> Lossless = new() { "ffv1", "ffvhuff", "huffyuv", "utvideo", "png", "qtrle", "magicyuv" };

    /// <summary>The RGB formats a lossless encoder is given, the first it takes.</summary>
    private static readonly string[] RgbFormats = { "rgb24", "bgr0", "bgr24", "gbrp", "rgb0", "0rgb" };

    /// <summary>The YUV formats any other encoder is given, the first it takes.</summary>
    private static readonly string[] YuvFormats = { "yuv420p", "yuv422p10le", "yuv422p", "yuv444p10le", "yuv444p" };

    private static bool IsRgb(string pixels) => RgbFormats.Contains(pixels);

    /// <summary>
    /// The time base an encoder that takes only some frame rates (MPEG-1, MPEG-2) encodes in: the inverse of the
    /// rate of those nearest the film's frame length (<paramref name="frameDurationNs"/>), within 0.05 %; the
    /// source's time base (1/12800) was refused ("MPEG-1/2 does not support 12800/1 fps") after the first shot.
    /// Null for an encoder that takes any rate, or where the film's rate is not known.
    /// </summary>
    internal string? FixedTimeBase(long frameDurationNs)
    {
        if (ForDistribution) return null;
        var rates = EncoderCaps.Of(Chosen).FrameRates;
        if (rates.Count == 0 || frameDurationNs <= 0) return null;
        var durations = rates.Distinct().Select(rate => (Rate: rate, Ns: Rational.TryParse(rate, out var n, out var d) && n > 0 && d > 0 ? 1e9 * d / n : double.NaN))
            .Where(r => double.IsFinite(r.Ns)).ToList();
        if (durations.Count == 0) return null;
        var nearest = durations.MinBy(r => Math.Abs(r.Ns - frameDurationNs));
        if (Math.Abs(nearest.Ns - frameDurationNs) > frameDurationNs * 5e-4)
            throw new MediaException(string.Create(CultureInfo.InvariantCulture,
                $"{Chosen} takes only the frame rates {string.Join(", ", durations.Select(r => r.Rate))}; this film's is {1e9 / frameDurationNs:0.###} fps: choose another --encoder"));
        return Rational.Inverse(nearest.Rate);
    }

    /// <summary>
    /// Fails at once, with ffmpeg's reason, where these settings cannot write <paramref name="output"/>'s
    /// kind of file (an encoder this ffmpeg lacks, a codec the container cannot hold: H.264 in WebM),
    /// rather than when a restore's pieces are joined at the end: two small gray frames are encoded
    /// into a temporary file of that kind beside it, then deleted. With <paramref name="streams"/>, the
    /// source's first second of audio and subtitles goes in too, as the join will copy or convert them
    /// (an audio encoder the conversion needs and this ffmpeg lacks: libopus for WebM). The file is then read back:
    /// a container can take a codec it does not hold as video (FFV1 in MPEG-TS).
    /// </summary>
    public void Check(string output, CancellationToken cancel = default, StreamSource? streams = null, long frameDurationNs = 0)
    {
        var chosen = For(output);
        if (chosen.CrfOutOfRange() is { } range) throw new UsageException($"--crf {Crf}: {chosen.Codec} takes {range}");
        const int Side = 64, Frames = 2;
        // At the film's rate where the encoder takes only some: one it does not take is refused here.
        var fixedTimeBase = chosen.FixedTimeBase(frameDurationNs);
        var tmp = TempFile.Beside(output);
        var args = new List<string>
        {
            "-hide_banner", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", $"{Side}x{Side}", "-r", fixedTimeBase is null ? "1" : Rational.Inverse(fixedTimeBase), "-i", "-",
        };
        if (streams is not null)
        {
            args.AddRange(streams.AsInput());
            args.AddRange(new[] { "-map", "0:v:0" });
            args.AddRange(streams.CopyInto(1, output, note: null));
            // Last, so it overrides a range's own duration: a second shows whether the streams go in.
            args.AddRange(new[] { "-t", "1" });
        }
        args.AddRange(chosen.Arguments(Side, Side));
        args.Add(tmp);
        try
        {
            string what = $"{output} ({chosen.Codec} video{(streams is null ? "" : " with the input's audio and subtitles")} in a {Path.GetExtension(output)} file)";
            Ffmpeg.Capture(Ffmpeg.FfmpegPath, args, new byte[Side * Side * Frames], what, cancel, $"trying {chosen.Codec} for {output}");
            // ffmpeg writes what the muxer takes, not what it can give back: FFV1, VP9 or MPEG-4 into an MPEG-TS ended as a
            // stream of data, and the join after the whole film read no frame back, again on every --resume.
            string? unreadable;
            try
            {
                unreadable = VideoVerifier.Read(tmp, cancel).Frames == 0 ? "it holds no frame" : null;
            }
            catch (MediaException e)
            {
                unreadable = e.Message.Replace(tmp + ": ", "", StringComparison.Ordinal);
            }
            if (unreadable is not null)
                throw new MediaException($"{what} does not read back ({unreadable}): choose another --encoder or kind of file");
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>
    /// The chosen encoder's CRF range when <see cref="Crf"/> is outside it ("0 to 51"), else null; the
    /// encoders clamp it without a word (a crf of 1000 was restored at 51).
    /// </summary>
    public string? CrfOutOfRange()
    {
        var (low, high) = Chosen switch
        {
            "libx264" or "libx265" or "libx264rgb" => (0, 51),
            "libvpx-vp9" or "libaom-av1" => (0, 63),
            "libsvtav1" => (1, 63),
            _ => (int.MinValue, int.MaxValue),
        };
        return Crf < low || Crf > high ? $"{low} to {high}" : null;
    }

    /// <summary>
    /// The size the video is written at: one more column where the pixel format halves the colour's width (4:2:0,
    /// 4:2:2) and the width is odd, one more row where it halves its height (4:2:0) and the height is odd.
    /// </summary>
    public (int Width, int Height) Padded(int width, int height)
    {
        string pixels = OutputPixels ?? "";
        bool halfWidth = pixels.StartsWith("yuv420", StringComparison.Ordinal) || pixels.StartsWith("yuv422", StringComparison.Ordinal);
        bool halfHeight = pixels.StartsWith("yuv420", StringComparison.Ordinal);
        return (halfWidth ? width + width % 2 : width, halfHeight ? height + height % 2 : height);
    }

    /// <summary>What <see cref="Padded"/> does to frames of this size, for the user; null where it leaves them as they are.</summary>
    public string? PaddingNote(int width, int height)
    {
        var (w, h) = Padded(width, height);
        if ((w, h) == (width, height)) return null;
        string where = w > width ? h > height ? "a black column on the right and a black row at the bottom" : "a black column on the right" : "a black row at the bottom";
        return $"{width}×{height} is odd; the video is padded to {w}×{h}, {where} ({OutputPixels} halves the colour's resolution, so it needs even sizes)";
    }

    /// <summary>
    /// The YUV that video of this size is stored in: BT.709 for HD (1280 wide or more, or over 576
    /// high), BT.601 (SMPTE 170M) for SD, as players take untagged video, and tagged so for those that
    /// read tags. ffmpeg's own conversion from RGB is BT.601 at every size, untagged, so an HD restore's
    /// colours played shifted wherever HD is taken for BT.709 (mpv, browsers, VLC): a green of
    /// (20, 243, 4) showed as (5, 209, 0).
    /// </summary>
    internal static string Matrix(int width, int height) => width >= 1280 || height > 576 ? "bt709" : "smpte170m";

    /// <summary>The filter that converts sRGB frames of this size into the encoder's format (YUV: <see cref="Matrix"/>), or null where ffmpeg picks the format.</summary>
    /// <remarks>
    /// The frames carry the tags too (setparams): an encoder that writes them into its own stream (ProRes) takes them from
    /// the frames, not from the output options, and came out untagged.
    /// </remarks>
    internal string? FromRgb(int width, int height) => OutputPixels switch
    {
        null => null,
        var rgb when IsRgb(rgb) => $"format={rgb},setparams=color_primaries=bt709:color_trc=bt709:colorspace=gbr:range=pc",
        var yuv => $"scale=out_color_matrix={Matrix(width, height)}:out_range=tv,format={yuv}," +
                   $"setparams=color_primaries=bt709:color_trc=bt709:colorspace={Matrix(width, height)}:range=tv",
    };
}
