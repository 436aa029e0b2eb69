using System.Globalization;

namespace Reel.Engine.Video;

/// <summary>
/// A review copy of a restore: the input on the left, the restored video on the right, both at
/// the restored video's size. Each frame pairs the two frames shown at the same time (the restore
/// keeps every frame's timestamp, so they pair one to one), and it lasts exactly as long as the
/// restored video, whose audio, subtitles and metadata it carries. H.264 in 4:2:0, so it plays
/// anywhere.
/// </summary>
public static class SideBySide
{
    /// <summary>Containers the review copy's H.264 fits in.</summary>
    private static readonly HashSet<string> Containers = new(StringComparer.OrdinalIgnoreCase) { ".mp4", ".m4v", ".mov", ".mkv" };

    /// <summary>Refuses, before any work is done, a review copy that could not be written.</summary>
    public static void Check(string input, string output, string target)
    {
        if (!File.Exists(input) || !VideoFile.IsWrittenVideoPath(output))
            throw new ReelException("--side-by-side needs a video input and a video output (not a folder of frames)");
        if (!Containers.Contains(Path.GetExtension(target)))
            throw new UsageException($"--side-by-side: {target} must end in .mp4, .mkv, .mov or .m4v (it is H.264)");
        var full = Path.GetFullPath(target);
        if (full == Path.GetFullPath(input) || full == Path.GetFullPath(output))
            throw new ReelException("--side-by-side would overwrite the input or the output; choose another path");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new ReelException($"--side-by-side: output folder does not exist: {dir}");
    }

    /// <summary>
    /// Writes <paramref name="target"/> atomically from a finished restore's <paramref name="input"/> and <paramref name="restored"/> video;
    /// <paramref name="inputFilter"/> (the deinterlacer the restore decoded the input through) and <paramref name="inputSeek"/>
    /// (the range it cut) show the input as the restore took it.
    /// </summary>
    public static void Write(string input, string restored, string target, EncodeSettings encode, string? inputFilter = null, IReadOnlyList<string>? inputSeek = null)
    {
        var info = VideoFile.Probe(restored);
        // The restored video may be a pixel larger than the input (4:2:0 needs even sizes): the
        // input is scaled to it. hstack emits a frame for each pair of equal timestamps and stops
        // with the shorter stream.
        // Both halves take the restored video's pixel shape, so an anamorphic film's review shows at its aspect too.
        string sar = info.SampleAspect.Replace(':', '/');
        // Both halves from the restored video's first time and in its time base: an MP4 holds a late start to the millisecond
        // (its edit list) and Matroska every time, so the input's times came back up to half a millisecond off and hstack
        // showed every frame twice, each half in turn (a TS into MP4, 29.97 fps into Matroska, a pulldown removed).
        string start = string.Create(CultureInfo.InvariantCulture, $"setpts=PTS-STARTPTS+{info.VideoStartSeconds:0.######}/TB,settb={info.TimeBase}");
        string graph = string.Create(CultureInfo.InvariantCulture,
            $"[{VideoFile.MainVideo}]{(inputFilter is null ? "" : inputFilter + ",")}{start},scale={info.Width}:{info.Height},setsar={sar},format=yuv420p[before];" +
            $"[1:V:0]{start},setsar={sar},format=yuv420p[after];[before][after]hstack=inputs=2:shortest=1,pad=ceil(iw/2)*2:ceil(ih/2)*2[v]");
        var args = new List<string> { "-v", "error", "-nostdin", "-y" };
        args.AddRange(inputSeek ?? Array.Empty<string>());
        args.AddRange(new[] { "-i", Ffmpeg.Local(input), "-i", Ffmpeg.Local(restored), "-filter_complex", graph, "-map", "[v]" });
        args.AddRange(StreamCopy.Plan(info, 1, target).Args);
        // Tagged as the restored video's size stores its YUV, which hstack copies, not as the wider review's would be.
        args.AddRange((encode with { Codec = "libx264" }).Arguments(info.Width, info.Height));
        args.AddRange(new[] { "-fps_mode", "passthrough", "-enc_time_base", info.TimeBase });
        TempFile.WriteAtomically(target, tmp => Ffmpeg.Run(Ffmpeg.FfmpegPath, [.. args, tmp], ReadOnlyMemory<byte>.Empty, target,
            doing: $"writing the side-by-side {target}"));
    }
}
