using System.Text;

namespace Reel.Engine.Video;

/// <summary>
/// Joins separately encoded pieces of one video (each a shot or chunk, so a long run can resume
/// at a piece boundary) into the final file with the source's audio, subtitles and metadata.
/// The pieces are stream-copied, re-encoded only where the output's kind of file cannot hold them
/// (<see cref="Fits"/>). Each piece's timestamps start at zero; the
/// concat script places piece k at its first frame's original time, in whole microseconds (the
/// script's resolution) computed from the absolute start, so rounding never accumulates.
/// Every piece is read back before the join and the joined file after it, before it replaces
/// anything: ffmpeg's concat skips a listed file that is gone and can exit 0 on a full disk.
/// </summary>
public static class VideoSegments
{
    private const string ListName = "pieces.ffconcat";

    /// <param name="note">Told about streams that had to be converted or left out.</param>
    /// <param name="piecesVerified">
    /// The caller has just read every piece back itself (a distributed join checks them all to name
    /// every missing one); the joined file is still read back, which catches a piece lost since.
    /// </param>
    /// <param name="encode">
    /// For pieces encoded before the output was named (a plan's, H.264 by default): the quality settings with
    /// which their video is encoded again, by the output's usual encoder, where its kind of file cannot hold
    /// them (WebM: VP8, VP9 and AV1 only), rather than failing after the whole film. Null where the pieces
    /// were made for this output.
    /// </param>
    public static void Join(IReadOnlyList<VideoPiece> pieces, string output, StreamSource? streamSource,
        Action<string>? note = null, CancellationToken cancel = default, bool piecesVerified = false, EncodeSettings? encode = null)
    {
        if (pieces.Count == 0) throw new ArgumentException("no pieces to join");
        var folder = Path.GetDirectoryName(Path.GetFullPath(pieces[0].Path))!;
        if (pieces.Any(p => Path.GetDirectoryName(Path.GetFullPath(p.Path)) != folder))
            throw new ArgumentException("the pieces of one video live in one folder");
        int width = 0, height = 0;
        for (int k = 0; k < pieces.Count; k++)
        {
            var p = pieces[k];
            var what = $"piece {k + 1} of {pieces.Count} ({p.Path})";
            if (!File.Exists(p.Path)) throw new MediaException($"{what} is missing; run the same command with --resume to make it again");
            if (piecesVerified && k > 0) continue;
            // The first piece is read even when verified: its size is what the joined file must have.
            var got = VideoVerifier.Verify(p.Path, new VideoExpectation(p.Frames, width, height), what, cancel: cancel);
            (width, height) = (got.Width, got.Height);
        }
        // Names relative to the script, so no character of the output's path (a quote, a newline) ever has
        // to be escaped in it; ffmpeg runs in the pieces' folder and opens the script by its bare name, since
        // ffconcat resolves the names against the script's path as a URL, where a '#' or '?' in a folder's
        // name would end it.
        var list = new StringBuilder("ffconcat version 1.0\n");
        for (int k = 0; k < pieces.Count; k++)
        {
            list.Append("file '").Append(Path.GetFileName(pieces[k].Path).Replace("'", @"'\''")).Append("'\n");
            if (k + 1 < pieces.Count)
            {
                long us = VideoWriter.Microseconds(pieces[k + 1].StartNs) - VideoWriter.Microseconds(pieces[k].StartNs);
                list.Append("duration ").Append(VideoWriter.Seconds(us * 1000)).Append('\n');
            }
        }
        var listPath = Path.Combine(folder, ListName);
        File.WriteAllText(listPath, list.ToString());
        var expected = new VideoExpectation(pieces.Sum(p => p.Frames), width, height)
        {
            MinDurationSeconds = (pieces[^1].StartNs - pieces[0].StartNs) / 1e9,
        };
        TempFile.RemoveOrphans(output);
        var convert = encode is null || Fits(pieces[0].Path, output, cancel) ? null : (encode with { Codec = null }).For(output);
        if (convert is not null)
            note?.Invoke($"the pieces' video does not fit {Path.GetExtension(output)}; encoding it again with {convert.Codec} " +
                         $"(slower than a copy, and a second generation: plan with --encoder {convert.Codec} to make the pieces so)");
        TempFile.WriteAtomically(output, tmp =>
        {
            // The first piece is put back at its own start (video that begins after the audio stays so).
            var args = new List<string> { "-hide_banner", "-v", "error", "-y", "-itsoffset", VideoWriter.Seconds(pieces[0].StartNs), "-f", "concat", "-i", ListName };
            if (streamSource is not null) args.AddRange(streamSource.AsInput());
            args.AddRange(new[] { "-map", "0:v:0" });
            // Every frame at its own time, in the pieces' time base (the encoder's default would round a variable rate to a constant one).
            args.AddRange(convert is null ? new[] { "-c:v", "copy" }
                : convert.Arguments(width, height).Concat(new[] { "-fps_mode", "passthrough", "-enc_time_base", VideoFile.Probe(pieces[0].Path).TimeBase }));
            if (streamSource is not null) args.AddRange(streamSource.CopyInto(1, output, note));
            args.Add(Path.GetFullPath(tmp));
            var errors = Ffmpeg.Write(args, output, $"joining {pieces.Count} pieces into {output}", cancel, workingDirectory: folder);
            VideoVerifier.Verify(tmp, expected, $"{output} (joined from {pieces.Count} pieces)", errors, cancel);
        });
    }

    /// <summary>
    /// Whether <paramref name="piece"/>'s video stream-copies into a file of <paramref name="output"/>'s kind:
    /// its first frame is copied into a temporary beside it, which is then deleted.
    /// </summary>
    private static bool Fits(string piece, string output, CancellationToken cancel)
    {
        var tmp = TempFile.Beside(output);
        try
        {
            Ffmpeg.Write(new[] { "-hide_banner", "-v", "error", "-y", "-i", piece, "-map", "0:v:0", "-c:v", "copy", "-frames:v", "1", tmp },
                output, $"trying the pieces' video in {output}", cancel);
            return true;
        }
        catch (MediaException)
        {
            return false;
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
