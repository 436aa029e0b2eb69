namespace Reel.Engine.Video;

/// <summary>
/// Which of a source's audio and subtitle streams go into an output, and how: copied where the
/// output container can hold the codec, converted where it cannot (audio to a codec it holds, text
/// subtitles to its text format), dropped with a note where it has no format for them (bitmap
/// subtitles in MP4 or WebM, any subtitle in AVI, text subtitles in MPEG-TS). Cover art
/// is copied into MP4 and left out elsewhere with a note; metadata and chapters come along.
/// </summary>
public static class StreamCopy
{
    private static readonly HashSet<string> TextSubtitles = new() { "subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text" };

    /// <summary>
    /// Whether a container holds an audio codec as ffmpeg writes it (null: Matroska and NUT, any codec).
    /// ffmpeg 5.1 refuses FLAC in MP4 as experimental and Opus and FLAC in MOV; MP2 (broadcast's, a DVD's) copies into MOV
    /// bit for bit, while in MP4 it reads back as MP3 and is converted; its iPod muxer (.m4v)
    /// takes AAC, AC-3 and ALAC only; copied into MPEG-TS, FLAC becomes a data stream; AVI has no codec tag for Opus.
    /// </summary>
    private static Func<string, bool>? Holds(string ext) => ext switch
    {
        ".mp4" => c => c is "aac" or "mp3" or "ac3" or "eac3" or "alac" or "opus",
        ".mov" => c => c is "aac" or "mp3" or "mp2" or "ac3" or "eac3" or "alac" || c.StartsWith("pcm_", StringComparison.Ordinal),
        ".m4v" => c => c is "aac" or "ac3" or "alac",
        ".webm" => c => c is "opus" or "vorbis",
        ".avi" => c => c is "mp3" or "mp2" or "mp1" or "ac3" or "dts" or "aac" or "flac" || c.StartsWith("pcm_", StringComparison.Ordinal),
        ".ts" => c => c is "aac" or "mp3" or "mp2" or "ac3" or "eac3" or "opus" or "dts",
        _ => null,
    };

    /// <summary>
    /// What audio a container does not hold becomes: an encoder every ffmpeg build has (libopus, which
    /// WebM needs, builds with WebM have); lossless audio stays lossless in the MP4 family (ALAC).
    /// </summary>
    private static string ConvertTo(string ext, string codec) => ext switch
    {
        ".webm" => "libopus",
        ".mp4" or ".mov" or ".m4v" when codec == "flac" || codec.StartsWith("pcm_", StringComparison.Ordinal) => "alac",
        _ => "aac",
    };

    /// <summary>A subtitle stream in a container: the codec to write it as ("copy" to keep it), or null where the container has none for it.</summary>
    private static string? Subtitle(string ext, string codec, bool text) => ext switch
    {
        ".mp4" or ".m4v" or ".mov" => text ? "mov_text" : null,
        // A track already in the container's format is copied: converted after a range's seek, it is mistimed (StreamCopy.Plan).
        ".webm" => text ? codec == "webvtt" ? "copy" : "webvtt" : null,
        ".mkv" => codec == "mov_text" ? "srt" : "copy",
        ".avi" => null,
        // Copied, text subtitles become data streams no player shows; broadcast's bitmap format stays.
        ".ts" => codec == "dvb_subtitle" ? "copy" : null,
        // NUT has codec tags for ASS among the text formats, not for MP4's or SubRip's.
        ".nut" => text ? codec == "ass" ? "copy" : "ass" : "copy",
        _ => "copy",
    };

    /// <summary>ffmpeg arguments mapping input <paramref name="inputIndex"/>'s streams, plus notes for the user.</summary>
    /// <param name="subtitlesLeftOut">Why no subtitle stream is copied, for the note; null copies each that fits.</param>
    /// <param name="cut">
    /// The source is cut (a range): PCM sound is encoded again as the same PCM, which is the same samples, cut at the
    /// range's own sample. Copied, it was cut at a packet's edge: the packet the start fell in was dropped, and a range
    /// from 0.3 s began with 20 ms of silence.
    /// </param>
    /// <param name="seeks">The source is read from a seek (a range from past its start): subtitles that would be converted are left out, with a note.</param>
    /// <param name="chaptersFrom">The input the chapters are taken from: the source's own, or a cut's (<see cref="StreamSource"/>); null: the source's.</param>
    public static (IReadOnlyList<string> Args, IReadOnlyList<string> Notes) Plan(VideoInfo source, int inputIndex, string outputPath, string? subtitlesLeftOut = null,
        bool cut = false, bool seeks = false, int? chaptersFrom = null)
    {
        var args = new List<string>();
        var notes = new List<string>();
        string ext = Path.GetExtension(outputPath).ToLowerInvariant();
        var holds = Holds(ext);
        for (int k = 0; k < source.AudioCodecs.Count; k++)
        {
            string codec = source.AudioCodecs[k];
            string? convert = holds is null || holds(codec) ? null : ConvertTo(ext, codec);
            bool samples = convert is null && cut && codec.StartsWith("pcm_", StringComparison.Ordinal);
            args.AddRange(new[] { "-map", $"{inputIndex}:a:{k}", $"-c:a:{k}", convert ?? (samples ? codec : "copy") });
            if (convert is not null and not "alac") args.AddRange(new[] { $"-b:a:{k}", "192k" });
            // libopus takes only Vorbis's channel layouts: a DVD's or Blu-ray's 5.1(side) AC-3 failed the whole encode
            // ("Invalid channel layout 5.1(side)"). Each other layout goes to the nearest of them (5.1(side) to 5.1, 2.1 to stereo).
            if (convert == "libopus") args.AddRange(new[] { $"-filter:a:{k}", "aformat=channel_layouts=mono|stereo|3.0|quad|5.0|5.1|6.1|7.1" });
            if (convert is not null) notes.Add($"audio stream {k} ({codec}) does not fit {ext}; converted to {convert}");
        }
        int kept = 0;
        if (subtitlesLeftOut is not null && source.SubtitleCodecs.Count > 0)
            notes.Add($"{(source.SubtitleCodecs.Count == 1 ? "the subtitle stream is" : $"the {source.SubtitleCodecs.Count} subtitle streams are")} left out: {subtitlesLeftOut}");
        for (int k = 0; k < (subtitlesLeftOut is null ? source.SubtitleCodecs.Count : 0); k++)
        {
            string codec = source.SubtitleCodecs[k];
            string? write = Subtitle(ext, codec, TextSubtitles.Contains(codec));
            if (write is null)
            {
                notes.Add($"subtitle stream {k} ({codec}) cannot be stored in {ext}; it was left out (use .mkv to keep it)");
                continue;
            }
            // Converted after a seek, ffmpeg 5.1 mistimed a Matroska film's SubRip cues into MP4: not cut (a cue ended
            // before the range came at its start), moved by the first cue's time rather than the range's, and each shown
            // until the next. Copied, the same cues were cut exactly. Which files it mistimes could not be told beforehand.
            if (seeks && write != "copy")
            {
                notes.Add($"subtitle stream {k} ({codec}) is left out of a range written as {write}: ffmpeg mistimes cues it converts after a seek " +
                          "(the whole film keeps them; .mkv keeps a range's, copied)");
                continue;
            }
            args.AddRange(new[] { "-map", $"{inputIndex}:s:{k}", $"-c:s:{kept++}", write });
            // ffmpeg's NUT muxer stores no packet's duration: every cue came out ending as it starts, shown for no time.
            if (ext == ".nut" && TextSubtitles.Contains(codec))
                notes.Add($".nut keeps subtitle stream {k} ({codec}) without its cues' ends, so players show each for no time (use .mkv to keep them whole)");
        }
        // ffmpeg 5.1 writes cover art into MP4 alone: its MOV muxer drops it without a word, and its Matroska
        // muxer makes it a second video track instead of an attachment (a player would offer a one-frame video).
        if (ext is ".mp4" or ".m4v")
        {
            // After the output's own video (v:0), each picture copied as it is and marked as cover art.
            int covers = 0;
            foreach (var (index, codec) in source.CoverArt)
            {
                if (codec is not ("mjpeg" or "png" or "bmp"))
                {
                    notes.Add($"cover art stream {index} ({codec}) cannot be stored in {ext}; it was left out");
                    continue;
                }
                covers++;
                args.AddRange(new[] { "-map", $"{inputIndex}:{index}", $"-c:v:{covers}", "copy", $"-disposition:v:{covers}", "attached_pic" });
            }
        }
        else if (source.CoverArt.Count > 0)
            notes.Add($"{Pictures(source.CoverArt.Count)} of cover art cannot be stored in {ext} by this ffmpeg; left out (use .mp4 to keep it)");
        if (source.OtherVideoStreams > 0)
            notes.Add($"{(source.OtherVideoStreams == 1 ? "1 more video stream is" : $"{source.OtherVideoStreams} more video streams are")} not restored and left out (the first video is the film)");
        if (ext == ".mkv") args.AddRange(new[] { "-map", $"{inputIndex}:t?", "-c:t", "copy" });
        // A timecode track (MOV, MP4) or tag (Matroska, AVI, NUT) of the same start: an edit conformed to the source still lines up.
        if (source.Timecode is { } timecode) args.AddRange(new[] { "-timecode", timecode });
        args.AddRange(new[] { "-map_metadata", $"{inputIndex}", "-map_chapters", $"{chaptersFrom ?? inputIndex}" });
        // A TS's channel is its program's, which -map_metadata leaves behind: set as the file's (an MPEG-TS names its service from them).
        foreach (var (name, value) in source.FileTags.Where(t => t.Name is "service_name" or "service_provider"))
            args.AddRange(new[] { "-metadata", $"{name}={value}" });
        // A phone's make, model and local capture date were dropped from MOV and MP4 (Matroska kept them): ffmpeg's
        // muxer writes such keys only as QuickTime metadata keys, which it writes only when asked.
        if (source.HasMetadataKeys && ext is ".mov" or ".mp4" or ".m4v") args.AddRange(new[] { "-movflags", "+use_metadata_tags" });
        args.AddRange(VideoTrack(source, outputPath));
        return (args, notes);
    }

    /// <summary>
    /// Output options for the restored video's own track, whether streams are copied in or not (a folder of frames):
    /// the film's video tags (its language, a title "Reel 3, 2K scan"), which came out "eng" and untitled, and not the
    /// pieces' encoder tag. Set one by one: a per-stream -map_metadata turns off ffmpeg's copy of every other stream's
    /// tags (audio languages, track names, fonts' file names).
    /// </summary>
    public static IEnumerable<string> VideoTrack(VideoInfo? source, string outputPath)
    {
        var tags = source?.VideoTags ?? Array.Empty<(string Name, string Value)>();
        foreach (var (name, value) in tags)
        {
            yield return "-metadata:s:v:0";
            yield return $"{name}={value}";
        }
        // A film whose video states no language is not English: Matroska and MOV wrote "eng" where none was given.
        if (!tags.Any(t => t.Name == "language"))
        {
            yield return "-metadata:s:v:0";
            yield return "language=und";
        }
        yield return "-metadata:s:v:0";
        yield return "encoder=";
        // Matroska marks the first track of each kind default where none is (the pieces carry no flags: the video came out
        // not default), subtitles aside. MP4 and MOV enable their tracks themselves.
        if (Path.GetExtension(outputPath).ToLowerInvariant() is ".mkv" or ".webm")
        {
            yield return "-default_mode";
            yield return "infer_no_subs";
        }
    }

    private static string Pictures(int n) => n == 1 ? "1 picture" : $"{n} pictures";
}
