using System.Numerics;
using System.Text;

namespace Reel.Engine.Video;

/// <summary>
/// Joins separately encoded pieces of one video (each a shot or chunk, so a long run can resume
/// at a piece boundary) into the final file with the source's audio, subtitles and metadata.
/// The pieces are stream-copied, re-encoded only where the output's kind of file cannot hold them
/// (<see cref="Misfit"/>). Each piece's timestamps start at zero; the
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
    /// The caller has read every piece back itself (a restore as each piece's encoder closed; a distributed
    /// join checks them all to name every missing one); the joined file is still read back, which catches
    /// a piece lost or damaged since.
    /// </param>
    /// <param name="encode">
    /// For pieces encoded before the output was named (a plan's, H.264 by default): the quality settings with
    /// which their video is encoded again, by the output's usual encoder, where its kind of file cannot hold
    /// them (WebM: VP8, VP9 and AV1 only), rather than failing after the whole film. Null where the pieces
    /// were made for this output.
    /// </param>
    /// <param name="madeWith">The settings the pieces were encoded with: the copy is tagged as they tag (<see cref="EncodeSettings.ColourTags"/>).</param>
    public static void Join(IReadOnlyList<VideoPiece> pieces, string output, StreamSource? streamSource,
        Action<string>? note = null, CancellationToken cancel = default, bool piecesVerified = false, EncodeSettings? encode = null,
        EncodeSettings? madeWith = null)
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
        // What the first piece is, asked of ffprobe once, where an AVI or a second encode needs it.
        var first = new Lazy<VideoInfo>(() => VideoFile.Probe(pieces[0].Path));
        var misfit = encode is null ? null : Misfit(pieces[0].Path, first, output, cancel);
        var convert = misfit is null ? null : (encode! with { Codec = null }).For(output);
        if (convert is not null)
            note?.Invoke($"{misfit}; encoding it again with {convert.Codec} (slower than a copy, and a second generation" +
                         (VideoFile.IsAvi(output) ? ")" : $": plan with --encoder {convert.Codec} to make the pieces so)"));
        var ticks = AviTicks(pieces, first, output, cancel);
        TempFile.WriteAtomically(output, tmp =>
        {
            // The first piece is put back at its own start (video that begins after the audio stays so).
            var args = new List<string> { "-hide_banner", "-v", "error", "-y", "-itsoffset", VideoWriter.Seconds(pieces[0].StartNs), "-f", "concat", "-i", ListName };
            if (streamSource is not null) args.AddRange(streamSource.AsInput());
            args.AddRange(new[] { "-map", "0:v:0" });
            // Every frame at its own time, in the pieces' time base (the encoder's default would round a
            // variable rate to a constant one), or in an AVI on the pieces' ticks.
            args.AddRange(convert is null ? new[] { "-c:v", "copy" }
                : convert.Arguments(width, height).Concat(new[] { "-fps_mode", "passthrough", "-enc_time_base",
                    ticks is null ? first.Value.TimeBase : Rational.Inverse(ticks) }));
            if (convert is null && ticks is not null) args.AddRange(new[] { "-r", ticks });
            if (convert is null && madeWith is not null) args.AddRange(madeWith.ColourTags(width, height));
            // HEVC in the MP4 family as Apple plays it: ffmpeg's default hev1 tag is refused by QuickTime and Safari.
            if (Path.GetExtension(output).ToLowerInvariant() is ".mp4" or ".mov" or ".m4v" && (convert?.Codec ?? first.Value.VideoCodec) is "libx265" or "hevc")
                args.AddRange(new[] { "-tag:v:0", "hvc1" });
            // An AVI's streams have no start times to shift: ffmpeg's shift for the audio's priming (AAC
            // starts 21–23 ms early) moved every frame after the first a tick late.
            if (VideoFile.IsAvi(output)) args.AddRange(new[] { "-avoid_negative_ts", "disabled" });
            args.AddRange(streamSource is not null ? streamSource.CopyInto(1, output, note) : StreamCopy.VideoTrack(null, output));
            args.Add(Path.GetFullPath(tmp));
            var errors = Ffmpeg.Write(args, output, $"joining {pieces.Count} pieces into {output}", cancel, workingDirectory: folder);
            VideoVerifier.Verify(tmp, expected, $"{output} (joined from {pieces.Count} pieces)", errors, cancel);
            streamSource?.NoteLosses(tmp, output, note, cancel);
        });
    }

    /// <summary>
    /// The rate to write the pieces into an AVI at, or null to leave it to ffmpeg (another container, or
    /// frames on no grid an AVI can hold). AVI has no timestamps, only a rate and a frame for every tick
    /// (an empty one where a variable rate leaves a gap); left to itself ffmpeg copies H.264 at twice
    /// its rate, so the header said 20 fps and twice the frames for a 10 fps film. This is the coarsest
    /// grid every frame of every piece lies on, from their packets' times (ffprobe's r_frame_rate guesses
    /// from a few frames: 25/4 for a short variable-rate piece at 10 fps), so each frame keeps its time.
    /// </summary>
    private static string? AviTicks(IReadOnlyList<VideoPiece> pieces, Lazy<VideoInfo> first, string output, CancellationToken cancel)
    {
        const long MaxTicksPerSecond = 1000;
        if (!VideoFile.IsAvi(output)) return null;
        // The pieces share one time base (each is encoded in the source's): a frame's time in its ticks
        // is its piece's start, exact in those ticks, plus its own pts.
        if (!Rational.TryParse(first.Value.TimeBase, out var num, out var den) || num <= 0 || den <= 0) return null;
        var times = pieces.AsParallel().WithCancellation(cancel).SelectMany(p =>
        {
            long start = Rational.NsToTicks(p.StartNs - pieces[0].StartNs, num, den);
            return VideoFile.PacketTimes(p.Path, cancel).Select(pts => start + pts);
        }).ToList();
        times.Sort();
        long step = times.Aggregate(0L, (g, t) => (long)BigInteger.GreatestCommonDivisor(g, t));
        if (step == 0) return null;
        const long FastestStandard = 120;
        if (den <= FastestStandard * num * step) return Rational.Reduce(den, num * step);
        // Matroska's milliseconds are no NTSC rate's grid (frames 41 or 42 ms apart at 24000/1001), so the grid
        // above came out at 1000 ticks a second: 524 frames, most of them empty, for 12. The coarsest common rate
        // on which every frame lies within one step of that grid (the precision its times were kept to), each on its
        // own frame, holds them as well.
        double tick = num / (double)den, precision = step * tick;
        foreach (var (rn, rd) in StandardRates)
        {
            long previous = -1;
            bool fits = times.All(t =>
            {
                double seconds = t * tick;
                long k = (long)Math.Round(seconds * rn / rd);
                bool on = k > previous && Math.Abs(k * (double)rd / rn - seconds) <= precision;
                previous = k;
                return on;
            });
            if (fits) return Rational.Reduce(rn, rd);
        }
        return den <= MaxTicksPerSecond * num * step ? Rational.Reduce(den, num * step) : null;
    }

    /// <summary>Film, PAL and NTSC rates and their doubles, coarsest first.</summary>
    private static readonly (long Num, long Den)[] StandardRates =
    {
        (24000, 1001), (24, 1), (25, 1), (30000, 1001), (30, 1), (48000, 1001), (48, 1), (50, 1), (60000, 1001), (60, 1), (100, 1), (120000, 1001), (120, 1),
    };

    /// <summary>
    /// Why <paramref name="piece"/>'s video cannot be stream-copied into a file of <paramref name="output"/>'s
    /// kind, or null when it can: reordered frames an AVI would show late (see <see cref="EncodeSettings.Reorders"/>),
    /// or a codec the container refuses, found by copying its first frame into a temporary beside it, then deleted.
    /// A folder that takes no file (full, read-only) fails that copy too: when a NUT there, which holds
    /// every codec, fails as well, its error is thrown as it is, not taken for a container's refusal.
    /// </summary>
    private static string? Misfit(string piece, Lazy<VideoInfo> info, string output, CancellationToken cancel)
    {
        if (VideoFile.IsAvi(output) && info.Value.ReordersFrames)
            return "the pieces' video stores frames out of order (B-frames), which an AVI would show late, behind the sound";
        if (TryCopy(piece, output, cancel) is not { } refused) return null;
        if (TryCopy(piece, Path.ChangeExtension(output, ".nut"), cancel) is not null) throw refused;
        return $"the pieces' video does not fit {Path.GetExtension(output)}";
    }

    /// <summary>Copies <paramref name="piece"/>'s first frame into a temporary file of <paramref name="output"/>'s kind beside it, then deletes it; ffmpeg's failure, or null.</summary>
    private static MediaException? TryCopy(string piece, string output, CancellationToken cancel)
    {
        var tmp = TempFile.Beside(output);
        try
        {
            Ffmpeg.Write(new[] { "-hide_banner", "-v", "error", "-y", "-i", Ffmpeg.Local(piece), "-map", "0:v:0", "-c:v", "copy", "-frames:v", "1", tmp },
                output, $"trying the pieces' video in {output}", cancel);
            return null;
        }
        catch (MediaException e)
        {
            return e;
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
