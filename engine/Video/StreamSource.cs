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
    private bool SubtitlesMisSought => Cut?.From is { } from && from > TimeSpan.Zero && StartBeforeVideo is null
                                       && Info.Container?.StartsWith("mov,", StringComparison.Ordinal) == true;

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
        if (StartBeforeVideo is { } from)
            return new[] { "-itsoffset", "-" + TimeRange.Seconds(from), "-i", path };
        return (Cut?.InputOptions() ?? Info.FileTiming).Concat(new[] { "-i", path });
    }

    /// <summary>
    /// The output options that put this source's streams into <paramref name="output"/> as input
    /// <paramref name="inputIndex"/> (<see cref="StreamCopy.Plan"/>, kept to the cut); <paramref name="note"/>
    /// is told what had to be converted or left out.
    /// </summary>
    public IEnumerable<string> CopyInto(int inputIndex, string output, Action<string>? note)
    {
        var (copy, notes) = StreamCopy.Plan(Info, inputIndex, output, SubtitlesMisSought
            ? "ffmpeg's seek in an MP4 or MOV mistimes its subtitles (cues a cut's length off, or not cut at all); the whole film keeps them"
            : null);
        foreach (var n in notes) note?.Invoke(n);
        return copy.Concat(CutOptions());
    }

    /// <summary>
    /// Output options that keep a cut source's copied streams to the cut. ffmpeg seeks a stream copy to the
    /// video keyframe before the start and keeps the packets from there at negative times, so a range's
    /// audio began up to a GOP early (a second of sound before the first frame in Matroska, which cannot
    /// hide it as MP4's edit list does): <c>-copypriorss 0</c> drops them. Chapters are moved by the start
    /// but bounded only by an output duration: <c>-t</c>. A start timecode the cut could not move
    /// (drop-frame) must not come in unmoved with the source's metadata: it is cleared.
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
