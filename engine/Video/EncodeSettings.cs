using System.Globalization;

namespace Reel.Engine.Video;

/// <summary>How the video stream is encoded. CRF and preset apply to the encoders that take them.</summary>
public sealed record EncodeSettings
{
    /// <summary>Any ffmpeg video encoder; libx264 plays everywhere.</summary>
    public string Codec { get; init; } = "libx264";
    /// <summary>Constant-quality factor: 17 is visually lossless for H.264 and keeps film grain.</summary>
    public int Crf { get; init; } = 17;
    /// <summary>The x264/x265 speed–size preset ("ultrafast" … "veryslow"); other encoders ignore it.</summary>
    public string Preset { get; init; } = "medium";

    internal IEnumerable<string> Arguments()
    {
        yield return "-c:v";
        yield return Codec;
        string crf = Crf.ToString(CultureInfo.InvariantCulture);
        switch (Codec)
        {
            case "libx264" or "libx265":
                foreach (var a in new[] { "-crf", crf, "-preset", Preset, "-pix_fmt", "yuv420p" }) yield return a;
                break;
            case "libvpx-vp9":
                foreach (var a in new[] { "-crf", crf, "-b:v", "0", "-pix_fmt", "yuv420p" }) yield return a;
                break;
            case "libaom-av1" or "libsvtav1":
                foreach (var a in new[] { "-crf", crf, "-pix_fmt", "yuv420p" }) yield return a;
                break;
        }
    }

    /// <summary>yuv420p needs even sizes; odd ones are padded by a pixel rather than refused.</summary>
    public bool NeedsEvenSize => Codec is "libx264" or "libx265" or "libvpx-vp9" or "libaom-av1" or "libsvtav1";
}
