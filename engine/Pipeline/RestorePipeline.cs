using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>Which stages run and how.</summary>
public sealed record RestoreOptions
{
    public DnCnn? Denoiser { get; init; }
    /// <summary>The checkpoint the denoiser came from; a resumed run must use the same one.</summary>
    public string? DenoiserSource { get; init; }
    public Colorizer? Colorizer { get; init; }
    public string? ColorizerSource { get; init; }
    public float Temperature { get; init; } = ColorizeStage.DefaultTemperature;
    public bool Stabilize { get; init; } = true;
    /// <summary>Chroma mode by default: it left less flicker than RGB mode at a third of the time (README).</summary>
    public StabilizeOptions Prior { get; init; } = new() { Mode = StabilizeMode.Chroma };
    /// <summary>Which temporal stage runs when <see cref="Stabilize"/> is on: the prior, or the flow-guided one (README has the table).</summary>
    public TemporalMethod Temporal { get; init; } = TemporalMethod.Prior;
    /// <summary>Settings of the flow-guided stage; chroma, as the prior's.</summary>
    public FlowTemporalOptions Flow { get; init; } = new() { Mode = StabilizeMode.Chroma };
    /// <summary>With the flow-guided stage and the colorizer: fuse the colorizer's distributions along the flow before the annealed mean.</summary>
    public bool FuseColours { get; init; }
    /// <summary>Longest shot one prior trains on; longer shots are split. Also the most work an interruption can lose.</summary>
    public int MaxShotFrames { get; init; } = 300;
    public EncodeSettings Encode { get; init; } = new();
    /// <summary>Continue an interrupted run of the same job instead of refusing to touch its work folder.</summary>
    public bool Resume { get; init; }
    /// <summary>Frame rate given to a folder of frames.</summary>
    public string FolderFrameRate { get; init; } = FrameSource.DefaultFolderRate;
}

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

    public static void Run(string input, string output, RestoreOptions options, IBackend backend,
        Action<RestoreProgress>? progress = null, CancellationToken cancel = default)
    {
        if (options.Stabilize && options.Temporal == TemporalMethod.Flow) options.Flow.Validate();
        else if (options.Stabilize) StabilizeStage.Validate(options.Prior);
        var source = FrameSource.Open(input, options.FolderFrameRate);
        bool videoOut = CheckOutput(input, output);
        var job = RestoreJob.Open(output, Settings(source, output, videoOut, options), options.Resume);
        bool finished = false;
        try
        {
            Process(source, output, videoOut, job, options, backend, progress, cancel);
            finished = true;
        }
        finally
        {
            // Nothing finished, nothing worth resuming: leave no trace. Otherwise the work folder stays for --resume.
            if (!finished && job.Pieces.Count == 0) job.Delete();
        }
        job.Delete();
    }

    /// <summary>True for a video output; false for a folder of frames (new or empty).</summary>
    private static bool CheckOutput(string input, string output)
    {
        var full = Path.GetFullPath(output.TrimEnd(Path.DirectorySeparatorChar));
        if (full == Path.GetFullPath(input.TrimEnd(Path.DirectorySeparatorChar))) throw new ReelException("output would overwrite the input; choose another path");
        var parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) throw new ReelException($"output folder does not exist: {parent}");
        if (VideoFile.IsVideoPath(full)) return true;
        if (ImageIO.IsImagePath(full)) throw new ReelException($"{output}: give a video file (.mp4, .mkv, …) or a folder for the frames, not an image");
        if (File.Exists(full)) throw new ReelException($"{output} is an existing file of a type reel does not write; give a video file or a folder");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new ReelException($"output folder {output} exists and is not empty; choose a new one");
        return false;
    }

    /// <summary>Everything that shapes the output; a resumed run must match it exactly.</summary>
    private static Dictionary<string, string> Settings(FrameSource source, string output, bool videoOut, RestoreOptions o)
    {
        static string Describe(string? path)
        {
            if (path is null) return "none";
            if (File.Exists(path))
                return string.Create(CultureInfo.InvariantCulture, $"{Path.GetFullPath(path)} ({new FileInfo(path).Length} bytes, {File.GetLastWriteTimeUtc(path):O})");
            if (!Directory.Exists(path)) return path;
            var files = Directory.GetFiles(path);
            return string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFullPath(path)} ({files.Length} files, {files.Select(File.GetLastWriteTimeUtc).DefaultIfEmpty().Max():O})");
        }
        var p = o.Prior;
        return new Dictionary<string, string>
        {
            ["input"] = Describe(source.SourcePath),
            ["output"] = videoOut ? $"video {Path.GetExtension(output)}" : "frames",
            ["denoiser"] = o.Denoiser is null ? "off" : Describe(o.DenoiserSource ?? "unnamed"),
            ["colorizer"] = o.Colorizer is null ? "off" : Describe(o.ColorizerSource ?? "unnamed"),
            ["temperature"] = o.Temperature.ToString("R", CultureInfo.InvariantCulture),
            ["stabilize"] = !o.Stabilize ? "off" : o.Temporal == TemporalMethod.Flow ? string.Create(CultureInfo.InvariantCulture,
                $"flow {o.Flow.Mode} lambda {o.Flow.Lambda:R} blend {o.Flow.Blend:R} iterations {o.Flow.Iterations} fusion {(o.FuseColours ? $"{o.Flow.FusionKeep:R} at T {o.Flow.FusionTemperature:R}" : "off")}")
                : string.Create(CultureInfo.InvariantCulture,
                $"{p.Mode} scale {p.ChromaScale} epochs {p.Epochs} irt {p.Irt} width {p.Width} lr {p.LearningRate:R} seed {p.Seed} coarse {p.CoarseToFine}"),
            ["max-shot-frames"] = o.MaxShotFrames.ToString(CultureInfo.InvariantCulture),
            ["encoder"] = $"{o.Encode.Codec} crf {o.Encode.Crf} preset {o.Encode.Preset}",
            ["frame-rate"] = source.Video is null ? o.FolderFrameRate : "from the video",
        };
    }

    private static void Process(FrameSource source, string output, bool videoOut, RestoreJob job, RestoreOptions options,
        IBackend backend, Action<RestoreProgress>? progress, CancellationToken cancel)
    {
        foreach (var piece in job.Pieces)
            if (piece.File is not null && !File.Exists(Path.Combine(job.Folder, piece.File)))
                throw new ReelException($"{job.Folder} lacks {piece.File}, which its record lists; delete that folder to start over");
        var clock = Stopwatch.StartNew();
        long total = source.EstimatedCount ?? 0;
        int skip = job.FramesDone;
        var meter = options.Stabilize && options.Temporal == TemporalMethod.Prior
            ? new ProgressMeter(skip, options.Prior.Epochs, RestoreStage.Process, RestoreStage.Stabilize, RestoreStage.Encode)
            : new ProgressMeter(skip, 0, RestoreStage.Process, RestoreStage.Encode);
        void Report(RestoreProgress p, double? exactDone = null) => progress?.Invoke(meter.Measure(p, exactDone));
        void Note(string text) => Report(new RestoreProgress(RestoreStage.Note, 0, 0, text, clock.Elapsed));
        if (videoOut && options.Encode.NeedsEvenSize && (source.Width % 2 != 0 || source.Height % 2 != 0))
            Note($"{source.Width}×{source.Height} is odd; the video is padded to {source.Width + source.Width % 2}×{source.Height + source.Height % 2} (4:2:0 needs even sizes)");
        if (skip > 0) Report(new RestoreProgress(RestoreStage.Resume, skip, total, $"{job.Pieces.Count} pieces kept from the interrupted run", clock.Elapsed));
        bool gray = options.Denoiser is null || options.Denoiser.Channels == 1;
        var format = gray ? PixelFormat.Gray8 : PixelFormat.Rgb24;
        var colorize = options.Colorizer is null ? null : new ColorizeStage(options.Colorizer, backend);
        var splitter = new ShotSplitter(options.MaxShotFrames);
        var framesDir = Path.Combine(job.Folder, "frames");
        if (!videoOut) Directory.CreateDirectory(framesDir);
        string processing = (options.Denoiser, colorize) switch
        {
            (not null, not null) => "denoise, colorize",
            (not null, null) => "denoise",
            (null, not null) => "colorize",
            _ => "decode",
        };
        if (options.Stabilize && options.Temporal == TemporalMethod.Flow) processing += ", flow";

        Piece? current = null;
        try
        {
            foreach (var f in Prefetch(source.Read(format), FramesDecodedAhead, cancel))
            {
                cancel.ThrowIfCancellationRequested();
                var frame = ImageIO.ToTensor(f.Pixels, source.Width, source.Height, format);
                // Every frame goes through the splitter, kept or not, so a resumed run cuts where the first run did.
                bool cut = splitter.StartsShot(frame);
                if (f.Index < skip) continue;
                if (cut && current is not null)
                {
                    var done = current;
                    current = null;
                    Finish(done);
                }
                int shot = job.Pieces.Count + 1;
                current ??= new Piece(f.Index, f.PtsNs, job, videoOut, source, options, backend,
                    done => Report(new RestoreProgress(RestoreStage.Encode, done, Math.Max(total, done), "", clock.Elapsed) { Shot = shot }));
                if (options.Denoiser is not null)
                {
                    frame = options.Denoiser.Forward(frame);
                    FrameOps.Clamp01(frame);
                }
                var restoredInput = FrameOps.ToRgb(frame);
                var flow = current.Flow;
                flow?.Track(restoredInput);
                var fuse = flow?.FuseLogits;
                var processed = colorize is null ? restoredInput
                    : colorize.Colorize(restoredInput, fuse is null ? options.Temperature : options.Flow.FusionTemperature, fuse);
                if (flow is not null) processed = flow.Stabilize(processed);
                // Reported before the frame is handed on: without the prior, Add encodes it, and that time is the encoder's.
                Report(new RestoreProgress(RestoreStage.Process, f.Index + 1, Math.Max(total, f.Index + 1), processing, clock.Elapsed) { Shot = shot });
                current.Add(restoredInput, processed, f.PtsNs, f.Name);
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

        Report(new RestoreProgress(RestoreStage.Join, job.FramesDone, job.FramesDone, job.Pieces.Count == 1 ? "1 piece" : $"{job.Pieces.Count} pieces", clock.Elapsed));
        if (videoOut)
        {
            VideoSegments.Join(job.Pieces.Select(p => (Path.Combine(job.Folder, p.File!), p.StartNs)).ToList(), output, source.StreamSource, Note);
        }
        else
        {
            if (Directory.Exists(output)) Directory.Delete(output);
            Directory.Move(framesDir, output);
        }
        return;

        void Finish(Piece piece)
        {
            using (piece)
            {
                if (options.Stabilize && options.Temporal == TemporalMethod.Prior)
                {
                    int shotStart = piece.Start, frames = piece.Count, shot = job.Pieces.Count + 1;
                    StabilizeStage.RunShot(piece.Inputs, piece.Processed, 0, frames, options.Prior, backend,
                        (t, f) => piece.Write(t, f),
                        p => Report(new RestoreProgress(RestoreStage.Stabilize, shotStart + (long)(p.Fraction * frames), Math.Max(total, shotStart + frames),
                                $"frames {shotStart}–{shotStart + frames - 1}", clock.Elapsed) { Shot = shot, Epoch = p.Epoch, Epochs = p.Epochs, Loss = p.Loss },
                            shotStart + p.Fraction * frames),
                        cancel, seed: options.Prior.Seed + job.Pieces.Count);
                }
                job.Add(piece.Commit());
            }
            Report(new RestoreProgress(RestoreStage.Saved, job.FramesDone, Math.Max(total, job.FramesDone), $"piece {job.Pieces.Count}", clock.Elapsed) { Shot = job.Pieces.Count });
        }
    }

    /// <summary>
    /// One shot on its way to a piece: with the prior its frames wait in stores until it is
    /// trained; with the flow-guided stage or none, they go straight to the piece's encoder.
    /// Disposing an uncommitted piece deletes what it wrote.
    /// </summary>
    private sealed class Piece : IDisposable
    {
        private readonly RestoreJob _job;
        private readonly bool _stabilize;
        private readonly List<long> _pts = new();
        private readonly List<string> _names = new();
        private readonly string _file;
        private readonly VideoSink? _sink;
        private readonly Action<long> _written;
        private int _count;

        /// <param name="written">Told the number of frames of the whole sequence finished so far, after each frame.</param>
        public Piece(int start, long startNs, RestoreJob job, bool video, FrameSource source, RestoreOptions options, IBackend backend, Action<long> written)
        {
            (Start, StartNs, _job, _stabilize, _written) = (start, startNs, job, options.Stabilize && options.Temporal == TemporalMethod.Prior, written);
            if (options.Stabilize && options.Temporal == TemporalMethod.Flow)
                Flow = new FlowTemporal(options.Flow, backend, fuseColours: options.FuseColours && options.Colorizer is not null);
            _file = Path.GetFileName(job.PiecePath(job.Pieces.Count, ".nut"));
            if (video) _sink = new VideoSink(Path.Combine(job.Folder, _file), source.TimeBase, null, options.Encode);
            long half = options.Prior.MemoryBudgetBytes / 2;
            Inputs = new FrameStore(half);
            Processed = new FrameStore(half);
        }

        public int Start { get; }
        public long StartNs { get; }
        public int Count => _pts.Count;
        public FrameStore Inputs { get; }
        public FrameStore Processed { get; }
        /// <summary>The flow-guided stage of this shot, when it is the temporal stage.</summary>
        public FlowTemporal? Flow { get; }

        public void Add(Tensor restoredInput, Tensor processed, long ptsNs, string name)
        {
            _pts.Add(ptsNs);
            _names.Add(name);
            if (!_stabilize)
            {
                Write(_pts.Count - 1, processed);
                return;
            }
            Inputs.Add(restoredInput);
            Processed.Add(processed);
        }

        /// <summary>Frame <paramref name="t"/> of this piece, finished.</summary>
        public void Write(int t, Tensor frame)
        {
            if (t != _count) throw new InvalidOperationException($"piece frame {t} written out of order (expected {_count})");
            if (_sink is not null) _sink.Write(frame, _pts[t] - StartNs);
            else ImageIO.Write(Path.Combine(_job.Folder, "frames", _names[t]), frame);
            _count++;
            _written(Start + _count);
        }

        public RestorePiece Commit()
        {
            if (_count != Count) throw new InvalidOperationException($"{_count} of {Count} frames of the piece were written");
            _sink?.Complete();
            return new RestorePiece(Start, Start + Count, StartNs, _sink is null ? null : _file);
        }

        public void Dispose()
        {
            _sink?.Dispose();
            Inputs.Dispose();
            Processed.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="source"/> on its own thread up to <paramref name="capacity"/> items ahead
    /// (decoding overlaps the networks); its errors surface here, and leaving early stops it.
    /// </summary>
    private static IEnumerable<T> Prefetch<T>(IEnumerable<T> source, int capacity, CancellationToken cancel)
    {
        using var queue = new BlockingCollection<T>(capacity);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        ExceptionDispatchInfo? error = null;
        var producer = Task.Run(() =>
        {
            try
            {
                foreach (var item in source) queue.Add(item, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The consumer left; stopping here disposes the source (and its decoder).
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        try
        {
            foreach (var item in queue.GetConsumingEnumerable(cancel)) yield return item;
            producer.Wait();
            error?.Throw();
        }
        finally
        {
            stop.Cancel();
            producer.Wait();
        }
    }
}
