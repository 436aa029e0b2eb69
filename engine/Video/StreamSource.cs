namespace Reel.Engine.Video;

/// <summary>
/// The video whose audio, subtitles, chapters and metadata an output copies in (see <see cref="StreamCopy"/>),
/// with the ffmpeg input options that cut it as its frames were cut (a restored range's <c>-ss</c>/<c>-to</c>).
/// </summary>
public sealed record StreamSource(string Path, VideoInfo Info)
{
    /// <summary>Options placed before the source's <c>-i</c>; none for the whole file.</summary>
    public IReadOnlyList<string> InputOptions { get; init; } = Array.Empty<string>();

    /// <summary>The source as one ffmpeg input: its options, then <c>-i</c> and its full path.</summary>
    public IEnumerable<string> AsInput() => InputOptions.Concat(new[] { "-i", System.IO.Path.GetFullPath(Path) });

    /// <summary>
    /// Output options that keep a cut source's copied streams to the cut: ffmpeg seeks a stream copy to the
    /// video keyframe before the start and keeps the packets from there at negative times, so a range's
    /// audio began up to a GOP early (a second of sound before the first frame in Matroska, which cannot
    /// hide it as MP4's edit list does); <c>-copypriorss 0</c> drops them.
    /// </summary>
    public IEnumerable<string> OutputOptions() => InputOptions.Count == 0 ? Array.Empty<string>() : new[] { "-copypriorss", "0" };
}
