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
    /// first video stream (v:0: cover art copied after it stays a copy whatever order the options come in); for
    /// the 4:2:0 encoders, the tags saying which YUV that is (<see cref="Matrix"/>, limited range) and
    /// that its RGB is sRGB's (BT.709 primaries and transfer).
    /// </summary>
    internal IEnumerable<string> Arguments(int width, int height)
    {
        yield return "-c:v:0";
        yield return Chosen;
        if (Yuv420)
            foreach (var a in new[] { "-colorspace", Matrix(width, height), "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv" })
                yield return a;
        // max_b_frames is every encoder's option; those without B-frames ignore it.
        if (!Reorders)
        {
            yield return "-bf:v:0";
            yield return "0";
        }
        string crf = Crf.ToString(CultureInfo.InvariantCulture);
        switch (Chosen)
        {
            case "libx264" or "libx265":
                foreach (var a in new[] { "-crf", crf, "-preset", Preset, "-pix_fmt:v:0", "yuv420p" }) yield return a;
                break;
            case "libvpx-vp9":
                // Rows in parallel: the default is one thread, for WebM now the default encoder.
                foreach (var a in new[] { "-crf", crf, "-b:v", "0", "-row-mt", "1", "-pix_fmt:v:0", "yuv420p" }) yield return a;
                break;
            case "libaom-av1" or "libsvtav1":
                foreach (var a in new[] { "-crf", crf, "-pix_fmt:v:0", "yuv420p" }) yield return a;
                break;
        }
    }

    /// <summary>
    /// Fails at once, with ffmpeg's reason, where these settings cannot write <paramref name="output"/>'s
    /// kind of file (an encoder this ffmpeg lacks, a codec the container cannot hold: H.264 in WebM),
    /// rather than when a restore's pieces are joined at the end: two small gray frames are encoded
    /// into a temporary file of that kind beside it, then deleted. With <paramref name="streams"/>, the
    /// source's first second of audio and subtitles goes in too, as the join will copy or convert them
    /// (an audio encoder the conversion needs and this ffmpeg lacks: libopus for WebM).
    /// </summary>
    public void Check(string output, CancellationToken cancel = default, StreamSource? streams = null)
    {
        var chosen = For(output);
        if (chosen.CrfOutOfRange() is { } range) throw new UsageException($"--crf {Crf}: {chosen.Codec} takes {range}");
        const int Side = 64, Frames = 2;
        var tmp = TempFile.Beside(output);
        var args = new List<string> { "-hide_banner", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", $"{Side}x{Side}", "-r", "1", "-i", "-" };
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
            Ffmpeg.Capture(Ffmpeg.FfmpegPath, args, new byte[Side * Side * Frames],
                $"{output} ({chosen.Codec} video{(streams is null ? "" : " with the input's audio and subtitles")} in a {Path.GetExtension(output)} file)",
                cancel, $"trying {chosen.Codec} for {output}");
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
            "libx264" or "libx265" => (0, 51),
            "libvpx-vp9" or "libaom-av1" => (0, 63),
            "libsvtav1" => (1, 63),
            _ => (int.MinValue, int.MaxValue),
        };
        return Crf < low || Crf > high ? $"{low} to {high}" : null;
    }

    /// <summary>yuv420p needs even sizes; odd ones are padded by a pixel rather than refused.</summary>
    public bool NeedsEvenSize => Yuv420;

    /// <summary>The encoders this class gives yuv420p (the others take what ffmpeg picks for them).</summary>
    private bool Yuv420 => Chosen is "libx264" or "libx265" or "libvpx-vp9" or "libaom-av1" or "libsvtav1";

    /// <summary>
    /// The YUV that video of this size is stored in: BT.709 for HD (1280 wide or more, or over 576
    /// high), BT.601 (SMPTE 170M) for SD, as players take untagged video, and tagged so for those that
    /// read tags. ffmpeg's own conversion from RGB is BT.601 at every size, untagged, so an HD restore's
    /// colours played shifted wherever HD is taken for BT.709 (mpv, browsers, VLC): a green of
    /// (20, 243, 4) showed as (5, 209, 0).
    /// </summary>
    internal static string Matrix(int width, int height) => width >= 1280 || height > 576 ? "bt709" : "smpte170m";

    /// <summary>The filter that converts sRGB frames of this size into the encoder's YUV (<see cref="Matrix"/>), or null where ffmpeg picks the format.</summary>
    internal string? FromRgb(int width, int height) => Yuv420 ? $"scale=out_color_matrix={Matrix(width, height)}:out_range=tv,format=yuv420p" : null;
}
