namespace Reel.Engine.Video;

/// <summary>
/// Which of a source's audio and subtitle streams go into an output, and how: copied where the
/// output container can hold the codec, converted where it cannot (audio to AAC or Opus, text
/// subtitles to the container's text format), dropped with a note only for bitmap subtitles in
/// containers that have no bitmap subtitle format. Metadata and chapters come along.
/// </summary>
public static class StreamCopy
{
    private static readonly HashSet<string> TextSubtitles = new() { "subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text" };
    private static readonly HashSet<string> Mp4Audio = new() { "aac", "mp3", "ac3", "eac3", "alac", "opus", "flac" };

    /// <summary>ffmpeg arguments mapping input <paramref name="inputIndex"/>'s streams, plus notes for the user.</summary>
    public static (IReadOnlyList<string> Args, IReadOnlyList<string> Notes) Plan(VideoInfo source, int inputIndex, string outputPath)
    {
        var args = new List<string>();
        var notes = new List<string>();
        string ext = Path.GetExtension(outputPath).ToLowerInvariant();
        bool mp4 = ext is ".mp4" or ".m4v" or ".mov", webm = ext == ".webm", mkv = ext == ".mkv";
        for (int k = 0; k < source.AudioCodecs.Count; k++)
        {
            string codec = source.AudioCodecs[k];
            string? convert = mp4 && !Mp4Audio.Contains(codec) && !(ext == ".mov" && codec.StartsWith("pcm_", StringComparison.Ordinal)) ? "aac"
                : webm && codec is not ("opus" or "vorbis") ? "libopus"
                : null;
            args.AddRange(new[] { "-map", $"{inputIndex}:a:{k}", $"-c:a:{k}", convert ?? "copy" });
            if (convert is not null) args.AddRange(new[] { $"-b:a:{k}", "192k" });
            if (convert is not null) notes.Add($"audio stream {k} ({codec}) does not fit {ext}; converted to {convert}");
        }
        int kept = 0;
        for (int k = 0; k < source.SubtitleCodecs.Count; k++)
        {
            string codec = source.SubtitleCodecs[k];
            bool text = TextSubtitles.Contains(codec);
            string? target = mp4 ? (text ? "mov_text" : null)
                : webm ? (text ? "webvtt" : null)
                : mkv ? (codec == "mov_text" ? "srt" : "copy")
                : ext is ".avi" ? null
                : "copy";
            if (target is null)
            {
                notes.Add($"subtitle stream {k} ({codec}) cannot be stored in {ext}; it was left out (use .mkv to keep it)");
                continue;
            }
            args.AddRange(new[] { "-map", $"{inputIndex}:s:{k}", $"-c:s:{kept++}", target });
        }
        if (mkv) args.AddRange(new[] { "-map", $"{inputIndex}:t?", "-c:t", "copy" });
        args.AddRange(new[] { "-map_metadata", $"{inputIndex}", "-map_chapters", $"{inputIndex}" });
        return (args, notes);
    }
}
