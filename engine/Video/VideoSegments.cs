using System.Text;

namespace Reel.Engine.Video;

/// <summary>
/// Joins separately encoded pieces of one video (each a shot or chunk, so a long run can resume
/// at a piece boundary) into the final file with the source's audio, subtitles and metadata.
/// The pieces are stream-copied, never re-encoded. Each piece's timestamps start at zero; the
/// concat script places piece k at its first frame's original time, in whole microseconds (the
/// script's resolution) computed from the absolute start, so rounding never accumulates.
/// </summary>
public static class VideoSegments
{
    /// <param name="note">Told about streams that had to be converted or left out.</param>
    public static void Join(IReadOnlyList<(string Path, long StartNs)> pieces, string output, (string Path, VideoInfo Info)? streamSource,
        Action<string>? note = null)
    {
        if (pieces.Count == 0) throw new ArgumentException("no pieces to join");
        var list = new StringBuilder("ffconcat version 1.0\n");
        for (int k = 0; k < pieces.Count; k++)
        {
            list.Append("file '").Append(pieces[k].Path.Replace("'", @"'\''")).Append("'\n");
            if (k + 1 < pieces.Count)
            {
                long us = VideoWriter.Microseconds(pieces[k + 1].StartNs) - VideoWriter.Microseconds(pieces[k].StartNs);
                list.Append("duration ").Append(VideoWriter.Seconds(us * 1000)).Append('\n');
            }
        }
        var listPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pieces[0].Path))!, "pieces.ffconcat");
        File.WriteAllText(listPath, list.ToString());
        TempFile.WriteAtomically(output, tmp =>
        {
            // The first piece is put back at its own start (video that begins after the audio stays so).
            var args = new List<string> { "-hide_banner", "-v", "error", "-y", "-itsoffset", VideoWriter.Seconds(pieces[0].StartNs), "-f", "concat", "-safe", "0", "-i", listPath };
            if (streamSource is { } src) args.AddRange(new[] { "-i", src.Path });
            args.AddRange(new[] { "-map", "0:v:0", "-c:v", "copy" });
            if (streamSource is { } s)
            {
                var (copy, notes) = StreamCopy.Plan(s.Info, 1, output);
                args.AddRange(copy);
                foreach (var n in notes) note?.Invoke(n);
            }
            args.Add(tmp);
            Ffmpeg.Run(Ffmpeg.FfmpegPath, args, ReadOnlyMemory<byte>.Empty, output);
        });
    }
}
