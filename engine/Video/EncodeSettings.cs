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
    /// These settings for a video written to <paramref name="output"/>: the encoder named, else VP9 for
    /// WebM, which holds only VP8, VP9 and AV1, and libx264, which plays everywhere, for any other file
    /// and for pieces whose final container is not known yet (null: a plan's, joined later).
    /// </summary>
    public EncodeSettings For(string? output) => Codec is not null ? this
        : this with { Codec = string.Equals(Path.GetExtension(output), ".webm", StringComparison.OrdinalIgnoreCase) ? "libvpx-vp9" : "libx264" };

    private string Chosen => Codec ?? throw new InvalidOperationException("no encoder chosen: EncodeSettings.For(output) chooses it");

    internal IEnumerable<string> Arguments()
    {
        yield return "-c:v";
        yield return Chosen;
        string crf = Crf.ToString(CultureInfo.InvariantCulture);
        switch (Chosen)
        {
            case "libx264" or "libx265":
                foreach (var a in new[] { "-crf", crf, "-preset", Preset, "-pix_fmt", "yuv420p" }) yield return a;
                break;
            case "libvpx-vp9":
                // Rows in parallel: the default is one thread, for WebM now the default encoder.
                foreach (var a in new[] { "-crf", crf, "-b:v", "0", "-row-mt", "1", "-pix_fmt", "yuv420p" }) yield return a;
                break;
            case "libaom-av1" or "libsvtav1":
                foreach (var a in new[] { "-crf", crf, "-pix_fmt", "yuv420p" }) yield return a;
                break;
        }
    }

    /// <summary>
    /// Fails at once, with ffmpeg's reason, where these settings cannot write <paramref name="output"/>'s
    /// kind of file (an encoder this ffmpeg lacks, a codec the container cannot hold: H.264 in WebM),
    /// rather than when a restore's pieces are joined at the end: two small gray frames are encoded
    /// into a temporary file of that kind beside it, then deleted.
    /// </summary>
    public void Check(string output, CancellationToken cancel = default)
    {
        var chosen = For(output);
        const int Side = 64, Frames = 2;
        var tmp = TempFile.Beside(output);
        var args = new List<string> { "-hide_banner", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", $"{Side}x{Side}", "-r", "1", "-i", "-" };
        args.AddRange(chosen.Arguments());
        args.Add(tmp);
        try
        {
            Ffmpeg.Capture(Ffmpeg.FfmpegPath, args, new byte[Side * Side * Frames], $"{output} ({chosen.Codec} video in a {Path.GetExtension(output)} file)",
                cancel, $"trying {chosen.Codec} for {output}");
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>yuv420p needs even sizes; odd ones are padded by a pixel rather than refused.</summary>
    public bool NeedsEvenSize => Chosen is "libx264" or "libx265" or "libvpx-vp9" or "libaom-av1" or "libsvtav1";
}
