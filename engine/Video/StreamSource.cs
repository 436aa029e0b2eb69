using System.Text.Json;

namespace Reel.Engine.Video;

/// <summary>
/// The video whose audio, subtitles, chapters and metadata an output copies in (see <see cref="StreamCopy"/>),
/// cut as its frames were (<see cref="Cut"/>: a restored range).
/// </summary>
public sealed record StreamSource(string Path, VideoInfo Info)
{
    /// <summary>The stretch the frames were cut to; null for the whole file.</summary>
    public TimeRange? Cut { get; init; }

    /// <summary>The start of a cut that starts before the video does, read from the file's start (<see cref="AsInput"/>), not sought; else null.</summary>
    private TimeSpan? StartBeforeVideo => Cut?.From is { } from && from.TotalSeconds < Info.VideoStartSeconds ? from : null;

    /// <summary>
    /// ffmpeg 5.1's seek in an MP4 or MOV lands a text subtitle track on the cue before the cut and times it from there:
    /// cut at 1.5 s, a cue of 2.0 s came at 1.0 s and one that ended at 1.8 s was kept (into Matroska the track was
    /// not cut at all). Reading from the file's start instead drops the video's first frames when their decode times
    /// fall before 0; a cut's subtitles are left out, with a note, rather than shown at the wrong times. Only where it
    /// seeks: a cut from 0, or from before the video (read from the start, <see cref="StartBeforeVideo"/>), keeps them.
    /// </summary>
    private bool SubtitlesMisSought => Seeks && Info.Container?.StartsWith("mov,", StringComparison.Ordinal) == true;

    /// <summary>Whether the source is read from a seek: a cut from past 0 that does not start before the video (<see cref="StartBeforeVideo"/>).</summary>
    private bool Seeks => Cut?.From is { } from && from > TimeSpan.Zero && StartBeforeVideo is null;

    /// <summary>
    /// The source as one ffmpeg input: its cut (<c>-ss</c>, <c>-to</c>), then <c>-i</c> and its full path.
    /// A cut that starts before the video does is read from the file's start instead, moved back by the
    /// cut's start, what comes before it dropped (<see cref="CutOptions"/>) and its end set by <c>-t</c>:
    /// ffmpeg's seek in Matroska goes by the video's keyframes, so it landed on the first frame and the sound
    /// before it was lost. Reading up to the first frame costs little.
    /// </summary>
    public IEnumerable<string> AsInput()
    {
        var path = System.IO.Path.GetFullPath(Path);
        var source = StartBeforeVideo is { } from
            ? new[] { "-itsoffset", "-" + TimeRange.Seconds(from), "-i", path }
            : (Cut?.InputOptions() ?? Info.FileTiming).Concat(new[] { "-i", path });
        return ChaptersUrl is { } chapters ? source.Concat(new[] { "-f", "ffmetadata", "-i", chapters }) : source;
    }

    /// <summary>
    /// The cut's chapters as an input of their own (<see cref="ChaptersInput"/>), or null: no cut, no chapters, or so many
    /// that one argument could not hold them (Linux takes 128 KiB; ffmpeg then cuts the source's, keeping one that ends
    /// where the range starts as a chapter of no length).
    /// </summary>
    private string? ChaptersUrl => CutChapters() is { } chapters && ChaptersInput(chapters) is { Length: <= 100_000 } url ? url : null;

    /// <summary>
    /// A cut's chapters as its output holds them (null where there is no cut, or the source has none): those it overlaps, moved
    /// by its start and bounded by its end. ffmpeg's own cut of them kept a chapter that ended where the cut started (or began
    /// where it ended) as a chapter of no length: a range from a chapter's start, the natural way to pick a scene, began
    /// with the chapter before it, 0 s long.
    /// </summary>
    private IReadOnlyList<Chapter>? CutChapters()
    {
        if (Cut is null || Info.Chapters.Count == 0) return null;
        double from = Cut.From?.TotalSeconds ?? 0, to = Cut.To?.TotalSeconds ?? double.PositiveInfinity;
        return Info.Chapters.Where(c => c.End > from && c.Start < to)
            .Select(c => c with { Start = Math.Max(c.Start, from) - from, End = Math.Min(c.End, to) - from }).ToList();
    }

    /// <summary>
    /// The chapters as an ffmpeg input of their own (FFMETADATA, in a data: URL: no file to leave behind), microseconds
    /// as ffmpeg counts time, each tag's =, ;, #, \ and line ends escaped as the format asks.
    /// </summary>
    private static string ChaptersInput(IReadOnlyList<Chapter> chapters)
    {
        // ffmpeg 5.1's reader ends a line at \r or \n unless the character before is a backslash, an escaped one too: a value
        // ending in one swallowed the next chapter, so trailing backslashes go.
        static string Escaped(string text) => System.Text.RegularExpressions.Regex.Replace(text.TrimEnd('\\'), @"[=;#\\\r\n]", m => "\\" + m.Value);
        var text = new System.Text.StringBuilder(";FFMETADATA1\n");
        foreach (var c in chapters)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"[CHAPTER]\nTIMEBASE=1/1000000\nSTART={Math.Round(c.Start * 1e6)}\nEND={Math.Round(c.End * 1e6)}\n");
            foreach (var (name, value) in c.Tags) text.Append(Escaped(name)).Append('=').Append(Escaped(value)).Append('\n');
        }
        return "data:text/plain;base64," + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>
    /// The output options that put this source's streams into <paramref name="output"/> as input
    /// <paramref name="inputIndex"/> (<see cref="StreamCopy.Plan"/>, kept to the cut); <paramref name="note"/>
    /// is told what had to be converted or left out.
    /// </summary>
    public IEnumerable<string> CopyInto(int inputIndex, string output, Action<string>? note)
    {
        // A cut's chapters come from the input after the source's (AsInput).
        var (copy, notes) = StreamCopy.Plan(Info, inputIndex, output, SubtitlesMisSought
            ? "ffmpeg's seek in an MP4 or MOV mistimes its subtitles (cues a cut's length off, or not cut at all); the whole film keeps them"
            : null, cut: Cut is not null, seeks: Seeks, chaptersFrom: ChaptersUrl is null ? inputIndex : inputIndex + 1);
        foreach (var n in notes) note?.Invoke(n);
        return copy.Concat(CutOptions());
    }

    /// <summary>
    /// Says through <paramref name="note"/> which of the source's file tags and chapters <paramref name="written"/> (the
    /// output <paramref name="output"/> before it is moved into place) did not keep. ffmpeg's muxers drop what their
    /// container has no place for without a word: MPEG-TS keeps the title alone (as its service's name), AVI no chapters
    /// nor creation_time, MOV no description, MP4 no tag of a name it does not know. Which, differs between ffmpeg's
    /// versions, so the file is read back rather than a list kept. A cut expects the chapters it overlaps.
    /// </summary>
    public void NoteLosses(string written, string output, Action<string>? note, CancellationToken cancel = default)
    {
        if (note is null || Info.FileTags.Count == 0 && Info.Chapters.Count == 0) return;
        var json = Ffmpeg.Run(Ffmpeg.FfprobePath,
            ["-v", "error", "-show_entries", "format_tags:program_tags:chapter=id", "-of", "json", "-i", Ffmpeg.Local(written)],
            ReadOnlyMemory<byte>.Empty, output, cancel, $"reading back the tags of {output}");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var kept = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (root.TryGetProperty("format", out var format)) kept.UnionWith(VideoFile.Tags(format).Select(t => t.Name));
        // An MPEG-TS names its service after the title.
        var title = Info.FileTags.FirstOrDefault(t => t.Name.Equals("title", StringComparison.OrdinalIgnoreCase)).Value;
        var serviceTags = root.TryGetProperty("programs", out var programs) && programs.ValueKind == JsonValueKind.Array
            ? programs.EnumerateArray().SelectMany(VideoFile.Tags).ToList() : [];
        if (serviceTags.Any(t => t.Name == "service_name" && t.Value == title)) kept.Add("title");
        // A TS source's channel, written into a TS, is its service's again.
        kept.UnionWith(serviceTags.Where(t => Info.FileTags.Contains(t)).Select(t => t.Name));
        var lost = Info.FileTags.Select(t => t.Name).Where(n => !kept.Contains(n) && !WrittenByMuxers.Contains(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        string ext = System.IO.Path.GetExtension(output).ToLowerInvariant();
        if (lost.Count > 0)
            note($"{ext} did not keep the source's tag{(lost.Count == 1 ? "" : "s")} {string.Join(", ", lost)} (.mkv keeps every tag)");
        int expected = CutChapters()?.Count ?? Info.Chapters.Count;
        int chapters = root.TryGetProperty("chapters", out var c) && c.ValueKind == JsonValueKind.Array ? c.GetArrayLength() : 0;
        if (chapters < expected)
            note($"{ext} did not keep {(chapters == 0 ? "the" : $"{expected - chapters} of the")} {expected} chapter{(expected == 1 ? "" : "s")} (.mkv, .mp4 and .mov keep them)");
    }

    /// <summary>
    /// File tags a muxer writes of its own (the writer's name, MP4's brand), which no output carries over, and the
    /// start timecode, which is written from <see cref="VideoInfo.Timecode"/> (moved, or cleared, for a cut).
    /// </summary>
    private static readonly HashSet<string> WrittenByMuxers = new(StringComparer.OrdinalIgnoreCase)
    {
        "encoder", "software", "major_brand", "minor_version", "compatible_brands", "timecode",
    };

    /// <summary>
    /// Output options that keep a cut source's copied streams to the cut. ffmpeg seeks a stream copy to the
    /// video keyframe before the start and keeps the packets from there at negative times, so a range's
    /// audio began up to a GOP early (a second of sound before the first frame in Matroska, which cannot
    /// hide it as MP4's edit list does): <c>-copypriorss 0</c> drops them. Chapters are moved by the start
    /// but bounded only by an output duration: <c>-t</c>. A start timecode the cut could not move
    /// (a drop-frame label at a rate with no drop-frame count) must not come in unmoved with the source's metadata: it is cleared.
    /// </summary>
    private IEnumerable<string> CutOptions()
    {
        if (Cut is null) yield break;
        yield return "-copypriorss";
        yield return "0";
        // Read from the file's start, what lies before the cut is at negative times: a copy drops it by the option above,
        // but a stream converted on the way (FLAC into MP4 as ALAC) was encoded from there and shifted to start at 0,
        // so -t cut its end short: a 0.6 s range kept 0.4 s of sound. An output start at 0 drops it from every stream.
        if (StartBeforeVideo is not null)
        {
            yield return "-ss";
            yield return "0";
        }
        if (Cut.Span is { } span)
        {
            yield return "-t";
            yield return TimeRange.Seconds(span);
        }
        if (Cut.From is not null && Info.Timecode is null)
        {
            yield return "-metadata";
            yield return "timecode=";
        }
    }
}
