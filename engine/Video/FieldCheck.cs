using System.Globalization;
using System.Text.RegularExpressions;

namespace Reel.Engine.Video;

/// <summary>
/// What ffmpeg's idet filter sees in a video's frames, whatever the stream's flags say: how many of the
/// frames it looked at it judged progressive, interlaced (either field first) or could not judge, and
/// how many repeat a field of the frame before (the mark of telecine). A film transferred to PAL video
/// (2:2, both fields of one instant) is often flagged interlaced throughout: bwdif on its frames costs
/// vertical detail for nothing. Frames are taken in a few stretches spread over the video, since a
/// still stretch (titles, black) shows no combing even when interlaced.
/// </summary>
public sealed record FieldCheck(int Progressive, int Interlaced, int Undetermined, int RepeatedFields, int Frames)
{
    private const int Stretches = 5, FramesPerStretch = 48;

    private static readonly Regex MultiFrame = new(@"Multi frame detection: TFF:\s*(\d+)\s+BFF:\s*(\d+)\s+Progressive:\s*(\d+)\s+Undetermined:\s*(\d+)", RegexOptions.Compiled);
    private static readonly Regex Repeated = new(@"Repeated Fields: Neither:\s*(\d+)\s+Top:\s*(\d+)\s+Bottom:\s*(\d+)", RegexOptions.Compiled);

    /// <summary>
    /// Judged progressive throughout: at least a second's worth of frames (24) judged progressive and
    /// at most one in fifty judged interlaced. Few judged frames (a short or still clip) never count as
    /// progressive, so such a clip is deinterlaced as its flags say.
    /// </summary>
    public bool LooksProgressive => Progressive >= 24 && Interlaced * 50 <= Progressive + Interlaced;

    /// <summary>One frame in twelve or more repeats a field of the one before, as 3:2 pulldown's do (idet finds some of its two in five).</summary>
    public bool LooksTelecined => RepeatedFields >= 4 && RepeatedFields * 12 >= Frames;

    /// <summary>"61 of 69 frames judged progressive, 0 interlaced": for the note that says what was decided.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Progressive} of {Frames} frames judged progressive, {Interlaced} interlaced{(RepeatedFields > 0 ? $", {RepeatedFields} repeating a field" : "")}");

    /// <summary>
    /// idet over the video's main stream (<see cref="VideoFile.MainVideo"/>), within <paramref name="range"/> where
    /// given: <see cref="Stretches"/> stretches of <see cref="FramesPerStretch"/> frames spread over it, or its
    /// first frames where it is too short to spread them (or its length is unknown).
    /// </summary>
    public static FieldCheck Of(string path, VideoInfo info, TimeRange? range, CancellationToken cancel = default)
    {
        double start = Math.Max(range?.From?.TotalSeconds ?? 0, info.VideoStartSeconds);
        double? length = (range ?? new TimeRange(null, null)).Length(info.VideoStartSeconds, info.VideoEndSeconds);
        double rate = Rational.TryParse(info.FrameRate, out var num, out var den) && num > 0 && den > 0 ? (double)num / den : 25;
        var seeks = length is { } l && l * rate > Stretches * FramesPerStretch
            ? Enumerable.Range(0, Stretches).Select(k => (At: start + l * (k + 0.5) / Stretches, Frames: FramesPerStretch))
            : new[] { (At: start, Frames: Stretches * FramesPerStretch) };
        var total = new FieldCheck(0, 0, 0, 0, 0);
        foreach (var (at, frames) in seeks)
        {
            var args = new List<string> { "-hide_banner", "-nostdin", "-v", "info" };
            if (at > 0) args.AddRange(new[] { "-ss", at.ToString("0.######", CultureInfo.InvariantCulture) });
            args.AddRange(new[] { "-i", Ffmpeg.Local(path), "-map", VideoFile.MainVideo, "-frames:v", frames.ToString(CultureInfo.InvariantCulture), "-vf", "idet", "-an", "-f", "null", "-" });
            var stderr = Ffmpeg.Capture(Ffmpeg.FfmpegPath, args, ReadOnlyMemory<byte>.Empty, path, cancel, $"looking at the fields of {path}").Stderr;
            total += Parse(stderr);
        }
        return total;
    }

    /// <summary>idet's closing counts in ffmpeg's log; none where it printed none (no frame decoded).</summary>
    private static FieldCheck Parse(string stderr)
    {
        var multi = MultiFrame.Match(stderr);
        var repeated = Repeated.Match(stderr);
        int Count(Match m, int group) => m.Success ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        int tff = Count(multi, 1), bff = Count(multi, 2), progressive = Count(multi, 3), undetermined = Count(multi, 4);
        return new FieldCheck(progressive, tff + bff, undetermined, Count(repeated, 2) + Count(repeated, 3), tff + bff + progressive + undetermined);
    }

    /// <summary>The counts of two looks together.</summary>
    public static FieldCheck operator +(FieldCheck a, FieldCheck b) => new(a.Progressive + b.Progressive, a.Interlaced + b.Interlaced,
        a.Undetermined + b.Undetermined, a.RepeatedFields + b.RepeatedFields, a.Frames + b.Frames);
}
