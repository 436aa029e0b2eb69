using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Temporal;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// The main job: decode → DnCNN → colorizer → Deep Video Prior per shot → encode, with the
/// source's audio, subtitles and timestamps kept. Decoding runs ahead on its own thread and the
/// encoder on its own process, so both overlap the networks. Frames stream through denoise and
/// colorize one at a time; a shot waits for its prior in <see cref="FrameStore"/>s (memory up to
/// the budget, then disk), and shots are at most <see cref="RestoreOptions.MaxShotFrames"/> long,
/// so memory does not grow with the length of the film. Each finished shot is encoded as a piece
/// and recorded in a <see cref="RestoreJob"/>, so an interrupted run loses at most the shot in
/// progress and resumes after the last piece; the pieces are joined (stream copy) into the output
/// only when all are done.
/// </summary>
public static class RestorePipeline
{
    private const int FramesDecodedAhead = 4;

    /// <remarks>
    /// The output's work folder is locked for the whole run (a second run on it is refused, naming
    /// this one); temporaries a killed run left beside the output are removed first.
    /// </remarks>
    public static void Run(string input, string output, RestoreOptions options, IBackend backend,
        Action<RestoreProgress>? progress = null, CancellationToken cancel = default)
    {
        options.ValidateTemporal();
        var source = options.OpenSource(input);
        bool videoOut = CheckOutput(input, output);
        if (videoOut)
        {
            // The pieces are encoded as the output is, to be joined by stream copy with the source's streams: a
            // codec its container cannot hold, or an encoder a stream's conversion needs, must fail now, not after the whole film.
            options = options with { Encode = options.Encode.For(output) };
            options.Encode.Check(output, cancel, source.StreamSource, source.FrameDurationNs);
        }
        var memory = MemoryPlan.For(source.Width, source.Height, options);
        TempFile.RemoveOrphans(output);
        var settings = Settings(source, options);
        settings["output"] = videoOut ? $"video {Path.GetExtension(output)}" : "frames";
        using var job = RestoreJob.Open(output, settings, options.Resume);
        try
        {
            Process(source, output, videoOut, job, options, memory, backend, progress, cancel);
        }
        catch (Exception e)
        {
            // Nothing finished, nothing worth resuming: leave no trace. Otherwise the work folder stays for --resume.
            bool kept = job.HoldsWork;
            if (!kept) job.Delete();
            // An input that changed under the kept pieces fails every resume alike: its own advice (start over) stands alone.
            if (!kept || cancel.IsCancellationRequested || e is ChangedInputException || e is not (ReelException or IOException)) throw;
            // A loss --strict refuses is found again by every run with --strict: the advice that ends the loop drops it.
            throw new ReelException($"{e.Message}; {job.Kept()}: " +
                                    (e is InputLossException ? "run it again with --resume and without --strict to join them as the input decodes, or delete that folder"
                                        : "run the same command with --resume to continue"), e);
        }
        job.Delete();
    }

    /// <summary>True for a video output; false for a folder of frames (new or empty).</summary>
    internal static bool CheckOutput(string input, string output)
    {
        var full = Path.GetFullPath(output.TrimEnd(Path.DirectorySeparatorChar));
        // Compared as files, not as spellings: a symbolic link, a hard link or `..` must not let the output overwrite the input.
        if (FileIdentity.Same(input, full)) throw new ReelException($"output {output} is the input {input}; choose another path");
        var parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) throw new ReelException($"output folder does not exist: {parent}");
        // "-" is no stream here: it became a folder of frames called "-".
        if (output == "-") throw new ReelException("reel writes its output to a file or folder, not to standard output: give a name");
        VideoFile.RefuseUnwritten(full);
        if (VideoFile.IsWrittenVideoPath(full))
        {
            // Found only when the pieces were joined, after the whole film.
            if (Directory.Exists(full)) throw new ReelException($"output {output} is a folder; give a video file's name (or a folder's without a video extension for frames)");
            return true;
        }
        if (ImageIO.IsImagePath(full)) throw new ReelException($"{output}: give a video file (.mp4, .mkv, …) or a folder for the frames, not an image");
        if (File.Exists(full)) throw new ReelException($"{output} is an existing file of a type reel does not write; give a video file or a folder");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new ReelException($"output folder {output} exists and is not empty; choose a new one");
        return false;
    }

    /// <summary>
    /// Above this many levels from gray (mean |R−G| + |G−B| of 16×16 blocks) a frame is in colour: a cast
    /// of 5 levels a channel. A gray clip's chroma one code off (129 for 128, an encoder's or a range
    /// conversion's rounding) reads 6.2 and a VP9 encode's 7.0, which were told they were in colour at 6;
    /// its chroma noise of σ 10 still reads 3.9 in a 64×48 frame's few blocks.
    /// </summary>
    private const double ColourLevels = 10;

    /// <summary>
    /// How far a video is from gray: the median over frames a quarter, half and three quarters into it
    /// (the first frame where its length is unknown) of <see cref="Chroma"/>. A film's first frame is
    /// mostly its black leader or a fade, which read 0 for a colour film; the median passes over one
    /// colour frame in a gray film (a distributor's logo).
    /// </summary>
    private static double SampledChroma(string path, VideoInfo info, CancellationToken cancel)
    {
        var levels = SampleFrames(path, info, PixelFormat.Rgb24, null, cancel).Select(rgb => Chroma(rgb, info.Width, info.Height)).ToList();
        levels.Sort();
        return levels.Count == 0 ? 0 : levels[levels.Count / 2];
    }

    /// <summary>
    /// The frames a quarter, half and three quarters into a video (the first where its length is unknown), each whole,
    /// in <paramref name="format"/> after <paramref name="filter"/>. The times are taken short of the last frame's start;
    /// a frame that does not decode there is left out (the restore reports a damaged film itself).
    /// </summary>
    private static IEnumerable<byte[]> SampleFrames(string path, VideoInfo info, PixelFormat format, string? filter, CancellationToken cancel)
    {
        double frame = Rational.FrameNs(info.FrameRate) / 1e9;
        var seeks = (info.VideoDurationSeconds ?? info.DurationSeconds) - frame is > 0 and var length
            ? new[] { 0.25, 0.5, 0.75 }.Select(f => new[] { "-ss", (f * length).ToString("0.###", CultureInfo.InvariantCulture) }).ToArray()
            : new[] { Array.Empty<string>() };
        foreach (var seek in seeks)
        {
            byte[]? pixels = null;
            try
            {
                pixels = VideoFile.ReadFrames(path, info, format, cancel: cancel, filter: filter, seek: seek).FirstOrDefault()?.Pixels;
            }
            catch (MediaException) { }
            if (pixels is not null && pixels.Length == info.Width * info.Height * ImageIO.Channels(format)) yield return pixels;
        }
    }

    /// <summary>The share of a video-range film's 4×4 blocks of luma beyond its range, at or above which their clipping is said.</summary>
    private const double ClippedShare = 0.01;

    /// <summary>
    /// What reading a video-range film clips, for the user: its luma above 235 (super-whites, common in VHS and broadcast
    /// transfers) and below 16 comes out as plain white and black, its detail gone, which was done without a word. Null
    /// where at most <see cref="ClippedShare"/> of the sampled frames' 4×4 blocks average more than 5 levels beyond either
    /// end. Block means, so grain and an encoder's ringing, which cross the ends by a few codes, are not taken for detail
    /// (a noisy clip's black at 16 read 15 in over 1% of its samples).
    /// </summary>
    private static string? Excursions(string path, VideoInfo info, CancellationToken cancel)
    {
        const int Block = 4;
        long above = 0, below = 0, all = 0;
        // The Y plane's own codes (extractplanes passes them as gray, unexpanded; a deeper film's scaled to 8 bits).
        foreach (var luma in SampleFrames(path, info, PixelFormat.Gray8, "extractplanes=y", cancel))
        {
            for (int by = 0; by + Block <= info.Height; by += Block)
            for (int bx = 0; bx + Block <= info.Width; bx += Block)
            {
                int sum = 0;
                for (int y = by; y < by + Block; y++)
                for (int x = bx; x < bx + Block; x++)
                    sum += luma[y * info.Width + x];
                double mean = sum / (double)(Block * Block);
                if (mean > 240) above++;
                else if (mean < 11) below++;
                all++;
            }
        }
        if (all == 0) return null;
        var said = new List<string>();
        if (above >= ClippedShare * all) said.Add(string.Create(CultureInfo.InvariantCulture, $"{100.0 * above / all:0.#}% of its picture lies above video white (235: super-whites)"));
        if (below >= ClippedShare * all)
            said.Add(string.Create(CultureInfo.InvariantCulture, $"{100.0 * below / all:0.#}%{(said.Count == 0 ? " of its picture lies" : "")} below video black (16)"));
        return said.Count == 0 ? null
            : $"{path} is video-range YUV and {string.Join(" and ", said)}; read as every player shows it, that comes out as plain " +
              $"{(said.Count == 2 ? "white and black" : above > 0 && above >= ClippedShare * all ? "white" : "black")}, its detail gone. " +
              "To keep it, bring the film into range first, e.g. ffmpeg -i IN -vf scale=in_range=full:out_range=limited -c:v libx264 -crf 12 -c:a copy legal.mp4";
    }

    /// <summary>
    /// How far a frame is from gray: the mean of |R−G| + |G−B| over its 16×16 blocks' mean colours, in
    /// levels. Blocks, not pixels: a gray transfer's chroma noise (a VHS copy's) averages out in them,
    /// where per pixel a chroma noise of 10 levels read as 38 levels of colour.
    /// </summary>
    private static double Chroma(byte[] rgb, int width, int height)
    {
        const int Block = 16;
        int bw = (width + Block - 1) / Block, bh = (height + Block - 1) / Block;
        var sums = new long[bw * bh * 3];
        var counts = new int[bw * bh];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int b = y / Block * bw + x / Block, i = (y * width + x) * 3;
            for (int c = 0; c < 3; c++) sums[b * 3 + c] += rgb[i + c];
            counts[b]++;
        }
        double total = 0;
        for (int b = 0; b < counts.Length; b++)
        {
            double r = sums[b * 3] / (double)counts[b], g = sums[b * 3 + 1] / (double)counts[b], bl = sums[b * 3 + 2] / (double)counts[b];
            total += Math.Abs(r - g) + Math.Abs(g - bl);
        }
        return total / counts.Length;
    }

    /// <summary>
    /// The input as a setting: what it holds, never where it lies or when it was written. A copy's new
    /// time (each node's own copy, a touch) made the same film "not what the plan was made from", and its
    /// path made the same film through a symbolic link, or moved to another mount, refuse to resume. A file
    /// is its size and a SHA-256 of its first and last MiB (a changed film changes its size or its ends,
    /// whose index and headers move with any edit; a worker also checks every shot's decoded pixels
    /// against the plan). A folder is its frames' names and sizes and a SHA-256 of each frame's first,
    /// middle and last 4 KiB: a frame scanned again keeps its name and, uncompressed, its size. Only the
    /// frames: a .DS_Store the desktop rewrote is not another film.
    /// </summary>
    internal static string Describe(string path)
    {
        if (File.Exists(path))
        {
            const int Sample = 1 << 20;
            using var f = File.OpenRead(path);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[(int)Math.Min(f.Length, Sample)];
            f.ReadExactly(buffer);
            hash.AppendData(buffer);
            if (f.Length > Sample)
            {
                f.Position = Math.Max(Sample, f.Length - Sample);
                int n = f.ReadAtLeast(buffer, (int)(f.Length - f.Position));
                hash.AppendData(buffer, 0, n);
            }
            return string.Create(CultureInfo.InvariantCulture, $"{f.Length} bytes, ends sha256 {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}");
        }
        if (!Directory.Exists(path)) return path;
        const int Part = 4096;
        var files = FrameFolder.List(path).Select(p => new FileInfo(p)).ToList();
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var part = new byte[Part];
        foreach (var file in files)
        {
            all.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{file.Name} {file.Length}\n")));
            using var f = file.OpenRead();
            foreach (var at in new[] { 0, (f.Length - Part) / 2, f.Length - Part }.Select(a => Math.Max(0, a)).Distinct())
            {
                f.Position = at;
                all.AppendData(part, 0, f.ReadAtLeast(part, Part, throwOnEndOfStream: false));
            }
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{files.Count} frames, {files.Sum(f => f.Length)} bytes, names, sizes and samples sha256 {Convert.ToHexStringLower(all.GetHashAndReset())[..16]}");
    }

    /// <summary>
    /// Everything that shapes the output's frames but the kind of output: a resumed run, and every
    /// shard worker of a plan, must match it exactly.
    /// </summary>
    internal static Dictionary<string, string> Settings(FrameSource source, RestoreOptions o)
    {
        var settings = new Dictionary<string, string>
        {
            ["input"] = Describe(source.SourcePath),
            // What each checkpoint held when it was read, not where it lies: every node's own copy is the same checkpoint.
            ["denoiser"] = o.Denoiser is null ? "off" : o.Denoiser.Checkpoint ?? "unnamed",
            ["colorizer"] = o.Colorizer is null ? "off" : o.Colorizer.Checkpoint ?? "unnamed",
            ["temperature"] = o.Temperature.ToString("R", CultureInfo.InvariantCulture),
            ["stabilize"] = !o.Stabilize ? "off" : o.Temporal == TemporalMethod.Flow ? string.Create(CultureInfo.InvariantCulture,
                $"flow {o.Flow.Mode} lambda {o.Flow.Lambda:R} blend {o.Flow.Blend:R} iterations {o.Flow.Iterations} fusion {(o.FuseColours ? $"{o.Flow.FusionKeep:R} at T {o.Flow.FusionTemperature:R}" : "off")}")
                : o.Prior.Describe(),
            ["max-shot-frames"] = o.MaxShotFrames.ToString(CultureInfo.InvariantCulture),
            ["encoder"] = $"{o.Encode.For(null).Codec} crf {o.Encode.Crf} preset {o.Encode.Preset}",
            ["frame-rate"] = source.Video is null ? o.FolderFrameRate : "from the video",
        };
        // Each only where it changes the frames, so a job recorded before it existed still resumes where it does not:
        // a deinterlacer, a range, a folder in number order unlike its names' character order, untagged HD colour read as BT.709.
        if (source.DecodeFilter is { } filter) settings["decode-filter"] = filter;
        if (o.Range is { } range) settings["range"] = range.ToString();
        if (source.OrderedByNumbers) settings["frame-order"] = "by the numbers in the names";
        if (ShotRestorer.FormatFor(o) == PixelFormat.Rgb24 && source.Video is { } v && VideoFile.ReadsAsBt709(v)) settings["colour-matrix"] = "bt709 where unstated";
        // An MPEG-TS or PS's frames are timed from the file's start since 2026-12-07, from the video's before: a piece of either
        // timing must not meet the other's at a join.
        if (source.Video is { FileTiming.Count: > 0 }) settings["timing"] = "from the file's start";
        // The format an encoder beyond the distribution ones is given was ffmpeg's pick before 2026-12-07 (ProRes 4444 at 12
        // bits, unpadded), Reel's since (4:2:2 at 10 bits, padded to an even width): pieces of both must not meet at a join.
        if (o.Encode.For(null) is { ForDistribution: false } named && named.OutputPixels is { } pixels)
            settings["pixels"] = pixels;
        return settings;
    }

    /// <summary>The settings two runs disagree on (a key one of them lacks included), in ordinal order: what a resume, a worker and a new plan refuse by name.</summary>
    public static List<string> Differing(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Keys.Union(b.Keys).Order(StringComparer.Ordinal)
            .Where(k => !a.TryGetValue(k, out var x) || !b.TryGetValue(k, out var y) || x != y).ToList();

    /// <summary>The settings recorded as a line of "label value" words: compared word by word, not whole.</summary>
    private static readonly HashSet<string> Composite = new(StringComparer.Ordinal) { "stabilize", "encoder" };

    /// <summary>
    /// Each setting two runs disagree on with both its values (null where one lacks it), for a refusal. The composite
    /// settings (the temporal stage's, the encoder's) are narrowed to the words that differ, labelled by the word before
    /// them: "stabilize epochs", 3 and 2. A changed --epochs was shown as two lines of thirty words to compare by eye.
    /// </summary>
    public static List<(string Setting, string? A, string? B)> Contrast(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        var result = new List<(string, string?, string?)>();
        foreach (var key in Differing(a, b))
        {
            a.TryGetValue(key, out var x);
            b.TryGetValue(key, out var y);
            if (x is null || y is null || !Composite.Contains(key)) result.Add((key, x, y));
            else result.AddRange(WordDifferences(x, y).Select(d => (d.Label.Length == 0 ? key : $"{key} {d.Label}", (string?)d.A, (string?)d.B)));
        }
        return result;
    }

    /// <summary>
    /// The runs of words in which <paramref name="x"/> and <paramref name="y"/> differ, each with the word before it as
    /// its label ("" at the start). Of equal length, word by word; otherwise the one stretch between their common ends.
    /// </summary>
    private static IEnumerable<(string Label, string A, string B)> WordDifferences(string x, string y)
    {
        string[] p = x.Split(' '), q = y.Split(' ');
        static string Words(string[] w, int from, int to) => from < to ? string.Join(' ', w[from..to]) : "(nothing)";
        if (p.Length == q.Length)
        {
            for (int i = 0; i < p.Length;)
            {
                if (p[i] == q[i]) { i++; continue; }
                int j = i;
                while (j < p.Length && p[j] != q[j]) j++;
                yield return (i > 0 ? p[i - 1] : "", Words(p, i, j), Words(q, i, j));
                i = j;
            }
            yield break;
        }
        int start = 0, end = 0;
        while (start < p.Length && start < q.Length && p[start] == q[start]) start++;
        while (end < p.Length - start && end < q.Length - start && p[^(end + 1)] == q[^(end + 1)]) end++;
        yield return (start > 0 ? p[start - 1] : "", Words(p, start, p.Length - end), Words(q, start, q.Length - end));
    }

    /// <summary>"2 audio streams", "the subtitle stream"; empty for none.</summary>
    private static string Streams(int count, string kind) => count switch { 0 => "", 1 => $"the {kind} stream", _ => $"the {count} {kind} streams" };

    private static void Process(FrameSource source, string output, bool videoOut, RestoreJob job, RestoreOptions options, MemoryPlan memory,
        IBackend backend, Action<RestoreProgress>? progress, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var (pieceWidth, pieceHeight) = videoOut ? options.Encode.Padded(source.Width, source.Height) : (0, 0);
        var dropped = KeepSoundPieces(job, pieceWidth, pieceHeight, videoOut ? null : source.FrameName, cancel);
        long total = source.EstimatedCount ?? 0;
        int skip = job.FramesDone;
        var meter = options.NewMeter(skip);
        void Report(RestoreProgress p, double? exactDone = null) => progress?.Invoke(meter.Measure(p, exactDone));
        void Note(string text) => Report(new RestoreProgress(RestoreStage.Note, 0, 0, text, clock.Elapsed));
        // A loss in the input: one warning line, or with --strict the error that ends the run.
        void Lost(string text)
        {
            if (options.Strict) throw new InputLossException($"{text} (--strict)");
            Report(new RestoreProgress(RestoreStage.Warning, 0, 0, text, clock.Elapsed));
        }
        if (dropped is not null) Note(dropped);
        foreach (var gap in source.MissingFrames) Lost(gap);
        foreach (var note in InputNotes(source, videoOut ? null : output, options, cancel)) Note(note);
        if (skip > 0)
            Report(new RestoreProgress(RestoreStage.Resume, skip, total,
                job.Pieces.Count == 1 ? "1 piece kept from the interrupted run" : $"{job.Pieces.Count} pieces kept from the interrupted run", clock.Elapsed));
        // A script that always passes --resume redid a finished film without a word. A record whose every piece was
        // damaged has said so above (KeepSoundPieces): that run is continued, from its start.
        else if (options.Resume && options.NoteFreshStart && !job.Resumed)
            Note($"resume: no interrupted run of {output} to continue; restoring from the start" +
                 (File.Exists(output) || Directory.Exists(output) ? $" ({output} exists and is replaced at the end)" : ""));
        var restorer = new ShotRestorer(source, options, memory, backend, total, clock, Report, cancel);
        var splitter = new ShotSplitter(options.MaxShotFrames);
        var framesDir = videoOut ? null : job.PrepareFrames();

        ShotRestorer.Shot? current = null;
        // The kept pieces' frames, decoded again to cut where the interrupted run cut, are checked against the hash each piece
        // recorded of its input: an input changed since where its size and ends (what the record's identity reads) did not,
        // such as an uncompressed file re-exported with a middle scene fixed, would otherwise be joined from two films.
        using var keptInput = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int checkedPieces = 0;
        try
        {
            // Every frame goes through the splitter, kept or not, so a resumed run cuts where the first run did
            // (and a plan cuts where this does: see ShotPlanner). It runs on the decoding thread, with the frame's
            // conversion to a tensor, so this thread only hands frames to the stages (a GPU's, then, are not kept waiting).
            var decoded = source.Read(restorer.Format, cancel).Select(f =>
            {
                var pixels = restorer.ToTensor(f);
                return (Frame: f, Pixels: pixels, Cut: splitter.StartsShot(pixels));
            });
            foreach (var (f, pixels, cut) in Prefetch.Ahead(decoded, FramesDecodedAhead, cancel))
            {
                cancel.ThrowIfCancellationRequested();
                if (f.Resized && options.Strict) Lost($"{source.SourcePath}: frame {f.Index} comes at another size than {source.Width}×{source.Height} (the size changes mid-stream)");
                if (f.Index < skip)
                {
                    CheckKept(f);
                    continue;
                }
                if (cut && current is not null)
                {
                    var done = current;
                    current = null;
                    Finish(done);
                }
                // One piece per shot, in order: the shot's index in the film is the number of pieces before it.
                current ??= restorer.Begin(job.Pieces.Count, f.Index, f.PtsNs, f.Index,
                    videoOut ? job.PiecePath(job.Pieces.Count, ".nut") : null, job.TrainingPath(job.Pieces.Count), framesDir);
                restorer.Add(current, f, pixels);
            }
            if (current is not null)
            {
                var last = current;
                current = null;
                Finish(last);
            }
        }
        finally
        {
            current?.Dispose();
        }
        foreach (var loss in source.Losses()) Lost(loss);

        Report(new RestoreProgress(RestoreStage.Join, job.FramesDone, job.FramesDone, job.Pieces.Count == 1 ? "1 piece" : $"{job.Pieces.Count} pieces", clock.Elapsed));
        if (videoOut)
        {
            // Every piece was read back when its encoder closed, or by KeepSoundPieces when a resume kept it: reading each
            // again here decoded the whole film once more before the join (the joined file is still read back).
            VideoSegments.Join(job.VideoPieces(), output, source.StreamSource, Note, cancel, piecesVerified: true, madeWith: options.Encode);
        }
        else job.MoveFramesTo(output);
        return;

        void Finish(ShotRestorer.Shot shot)
        {
            using (shot) restorer.Finish(shot, job.Add);
        }

        void CheckKept(SourceFrame f)
        {
            ShotPlanner.AddFrame(keptInput, f);
            var piece = job.Pieces[checkedPieces];
            if (f.Index < piece.End - 1) return;
            checkedPieces++;
            var sha256 = Convert.ToHexStringLower(keptInput.GetHashAndReset());
            if (piece.InputSha256 is not null && sha256 != piece.InputSha256)
                throw new ChangedInputException($"frames {piece.Start}–{piece.End - 1} of {source.SourcePath} are not those the interrupted run restored " +
                                        $"(the input changed since, though not its size nor its ends, or this ffmpeg decodes it otherwise); delete {job.Folder} to start over");
        }
    }

    /// <summary>
    /// What a restore of <paramref name="source"/> with <paramref name="options"/> says of its input before the first frame, in
    /// order: how it is deinterlaced, colour it loses, limited-range excursions, HDR, depth and alpha it loses, the padding and
    /// unused encoder options of a video output, and the sound a folder output (<paramref name="folderOutput"/>; null for a video)
    /// cannot hold. A plan says the same (its workers say nothing of the input): a colour film's note was the one-process restore's alone.
    /// </summary>
    internal static IEnumerable<string> InputNotes(FrameSource source, string? folderOutput, RestoreOptions options, CancellationToken cancel)
    {
        bool videoOut = folderOutput is null;
        if (source.DecodeFilter is not null)
            yield return options.Deinterlace switch
            {
                Deinterlace.All => $"every frame of {source.SourcePath} is deinterlaced (bwdif) before it is restored",
                // Asked of a film with no pulldown, ivtc drops one real frame in five, which was done without a word.
                Deinterlace.Ivtc => $"{source.SourcePath}: the pulldown is removed (fieldmatch, decimate): 4 frames of every 5 come out, at {source.FrameRate} fps"
                    + (source.Fields is { LooksTelecined: false, Frames: >= 24 } none
                        ? $"; but its fields do not repeat as pulldown's do ({none}): if it is not telecined film, a real frame of every 5 is dropped (--deinterlace auto keeps them)" : ""),
                _ => $"{source.SourcePath} is interlaced: the frames flagged so are deinterlaced (bwdif) before they are restored (--deinterlace all for every frame, ivtc for telecined film, off to keep the fields)"
                     + (source.Fields is { LooksTelecined: true } f ? $"; its fields repeat as telecined film's do ({f}): --deinterlace ivtc gives the film's own frames back" : ""),
            };
        else if (source.Fields is { LooksProgressive: true } progressive)
            yield return $"{source.SourcePath} is flagged interlaced but its frames are whole ({progressive}): restored as they are, not deinterlaced (--deinterlace all to deinterlace every frame)";
        else if (source.Video is { Interlaced: true })
            yield return $"{source.SourcePath} is interlaced: its frames are restored as they are, combing included (--deinterlace off); --deinterlace auto joins the fields first";
        // A tinted print (sepia, a blue night) or a colour film: the gray restore drops its colours, which was done without a word.
        if ((ShotRestorer.FormatFor(options) == PixelFormat.Gray8 || options.Colorizer is not null) && source.Video is { } video
            && SampledChroma(source.SourcePath, video, cancel) is > ColourLevels and var chroma)
            yield return string.Create(CultureInfo.InvariantCulture, $"{source.SourcePath} is in colour (its frames are {chroma:F1} levels from gray on average); ") +
                 (options.Colorizer is null ? "the restore works on its gray image, so the output is gray: its own colours are not kept"
                     : "the restore works on its gray image and the colorizer gives it new colours: its own are not kept");
        if (source.Video is { LimitedRange: true } limited && Excursions(source.SourcePath, limited, cancel) is { } clipped) yield return clipped;
        // PQ or HLG code values read as an SDR picture's: washed out (PQ's 1-nit black at 15 % gray), then tagged SDR. Said, with the conversion that fixes it.
        if (source.Video is { IsHdr: true } hdr)
            yield return $"{source.SourcePath} is HDR ({(hdr.Transfer == "smpte2084" ? "PQ" : "HLG")}); Reel reads its code values as SDR's, without tone mapping, so it comes out washed out " +
                 "and tagged SDR (BT.709): convert it to SDR first, e.g. ffmpeg -i IN -vf zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0," +
                 "zscale=t=bt709:m=bt709:r=tv,format=yuv420p -c:v libx264 -crf 12 sdr.mp4";
        // An archive master's 10 or 16 bits are read as 8: said, since smooth gradients may band (a 10-bit encoder is given
        // 16-bit frames, but what was rounded at the decoding stays rounded).
        if (source.Video is { BitsPerSample: > 8 } deep)
            yield return $"{source.SourcePath} has {deep.BitsPerSample}-bit samples; Reel reads 8 bits a sample of them (smooth gradients may band)";
        // A scan's 16-bit or transparent frames lost their depth or their alpha without a word, where a video's depth was told.
        if (source.FolderPixels is { } stored)
        {
            if (VideoFile.BitsOf(stored) > 8)
                yield return $"{source.SourcePath}'s frames have {VideoFile.BitsOf(stored)}-bit samples ({stored}); Reel reads 8 bits a sample of them (smooth gradients may band)";
            if (VideoFile.HasAlpha(stored))
                yield return $"{source.SourcePath}'s frames have an alpha channel ({stored}); it is not kept (a transparent pixel comes out as the colour stored in it)";
        }
        if (videoOut && options.Encode.PaddingNote(source.Width, source.Height) is { } padding) yield return padding;
        if (videoOut && options.Encode.Unused() is { } unused) yield return unused;
        // A folder of frames holds no sound: the film's was dropped without a word, where a container's loss is told.
        if (!videoOut && source.Video is { } film && (film.AudioCodecs.Count > 0 || film.SubtitleCodecs.Count > 0))
            yield return $"{folderOutput} is a folder of frames, which holds no sound or subtitles: {Streams(film.AudioCodecs.Count, "audio")}" +
                 $"{(film.AudioCodecs.Count > 0 && film.SubtitleCodecs.Count > 0 ? " and " : "")}{Streams(film.SubtitleCodecs.Count, "subtitle")} of {source.SourcePath}" +
                 $"{(film.AudioCodecs.Count + film.SubtitleCodecs.Count == 1 ? " is" : " are")} not kept (name a video file, .mkv or .mp4, to keep them)";
    }

    /// <summary>
    /// Reads back the pieces an interrupted run recorded: the first that is missing or damaged
    /// (deleted, cut short, overwritten since) is dropped with every piece after it, and made again.
    /// Returns the note that says so, or null when every piece is sound.
    /// </summary>
    /// <param name="width">The size every piece must have (the output's, padded as the encoder needs); 0 where no piece is a video.</param>
    /// <param name="height">See <paramref name="width"/>.</param>
    /// <param name="frameName">
    /// For a folder output, the name of each frame in the job's frames folder (<see cref="FrameSource.FrameName"/>): a piece of frames is
    /// sound when each is there as a whole PNG. A frame deleted or cut short since was moved into the output as it was, or ended the run
    /// after its last shot with advice to resume that could not bring it back.
    /// </param>
    internal static string? KeepSoundPieces(RestoreJob job, int width, int height, Func<int, string>? frameName, CancellationToken cancel)
    {
        for (int k = 0; k < job.Pieces.Count; k++)
        {
            var piece = job.Pieces[k];
            string? problem;
            if (piece.File is not null) problem = DamagedPiece(Path.Combine(job.Folder, piece.File), piece, width, height, cancel);
            else if (frameName is not null) problem = DamagedFrame(job.FramesPath, piece, frameName);
            else continue;
            if (problem is null) continue;
            var note = $"{problem}; frames {piece.Start}–{job.FramesDone - 1} ({(job.Pieces.Count - k == 1 ? "1 piece" : $"{job.Pieces.Count - k} pieces")}) are made again";
            job.DropFrom(k);
            return note;
        }
        return null;
    }

    /// <summary>What is wrong with the video piece at <paramref name="path"/> (missing, damaged, of another size), said; else null.</summary>
    private static string? DamagedPiece(string path, RestorePiece piece, int width, int height, CancellationToken cancel)
    {
        if (!File.Exists(path)) return $"{path} is missing";
        try
        {
            // At the film's size too: the join, which takes these as read, checks no piece's size but the first's.
            VideoVerifier.Verify(path, new VideoExpectation(piece.End - piece.Start, width, height), path, cancel: cancel);
            return null;
        }
        catch (MediaException e)
        {
            return e.Message;
        }
    }

    /// <summary>The first frame of <paramref name="piece"/> that is not a whole PNG in <paramref name="folder"/> (missing, empty, cut short), said; else null.</summary>
    private static string? DamagedFrame(string folder, RestorePiece piece, Func<int, string> frameName)
    {
        for (int t = piece.Start; t < piece.End; t++)
        {
            var path = Path.Combine(folder, frameName(t));
            if (!File.Exists(path)) return $"{path} is missing";
            if (!ImageIO.IsWholePng(path)) return $"{path} is not a whole PNG (cut short or overwritten since it was written)";
        }
        return null;
    }
}
