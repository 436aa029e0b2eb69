using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// `reel stabilize` with a prior, resumable as a restore is: each trained shot becomes a piece in a
/// <see cref="RestoreJob"/>'s work folder beside the output (a video piece, or its PNG frames in the
/// job's frames folder), recorded as it is finished; the pieces become the output only when every
/// shot is done. An interrupted run (Ctrl-C, a crash, a machine taken back) loses at most the shot
/// it was training, and a run with resume trains the shots after the last piece.
/// </summary>
public sealed class StabilizeJob : IDisposable
{
    private readonly RestoreJob _job;
    private readonly string _output;
    private readonly EncodeSettings _encode;
    /// <summary>Where a folder output's frames gather (<see cref="RestoreJob.PrepareFrames"/>); null for a video.</summary>
    private readonly string? _framesFolder;
    private VideoSink? _piece;
    private bool _done;

    private StabilizeJob(RestoreJob job, string output, EncodeSettings encode, string? framesFolder) =>
        (_job, _output, _encode, _framesFolder) = (job, output, encode, framesFolder);

    private bool VideoOut => _framesFolder is null;

    /// <summary>The finished pieces kept from the interrupted run.</summary>
    public int PiecesKept { get; private init; }
    /// <summary>The frames in them (those of sound pieces): the run stabilizes the shots after them.</summary>
    public int FramesKept { get; private init; }
    /// <summary>Whether this continues an interrupted run's record (however many of its pieces then read back sound).</summary>
    public bool Resumed { get; private init; }
    /// <summary>The work folder (<see cref="RestoreJob.FolderFor"/> of the output), absolute.</summary>
    public string Folder => _job.Folder;

    /// <summary>
    /// Claims <paramref name="output"/>'s work folder, and with <paramref name="resume"/> takes up the interrupted run
    /// made with the same input, processed frames and options (refused, naming what differs, otherwise). Its pieces
    /// are read back; the first damaged one is made again with all after it, which <paramref name="note"/> hears.
    /// Without <paramref name="resume"/> an interrupted run is an error that says what to do.
    /// </summary>
    public static StabilizeJob Open(FrameSource input, string processed, string output, bool videoOut, StabilizeOptions options,
        bool resume, Action<string> note, CancellationToken cancel)
    {
        var settings = new Dictionary<string, string>
        {
            // A restore's record in the same folder (its own settings lack these) is not taken for a stabilize's.
            ["command"] = "stabilize",
            ["input"] = RestorePipeline.Describe(input.SourcePath),
            ["processed"] = RestorePipeline.Describe(processed),
            ["stabilize"] = options.Describe(),
            ["shots"] = options.SplitShots ? "one prior per shot" : "one prior",
            ["output"] = videoOut ? $"video {Path.GetExtension(output)}" : "frames",
        };
        if (input.DecodeFilter is { } filter) settings["decode-filter"] = filter;
        // A folder's frames are timed by --fps: the pieces of two rates must not meet at a join.
        if (input.Video is null && videoOut) settings["frame-rate"] = input.FrameRate;
        var job = RestoreJob.Open(output, settings, resume);
        try
        {
            var encode = new EncodeSettings().For(output);
            var (w, h) = videoOut ? encode.Padded(input.Width, input.Height) : (0, 0);
            if (RestorePipeline.KeepSoundPieces(job, w, h, videoOut ? null : input.FrameName, cancel) is { } dropped) note(dropped);
            return new StabilizeJob(job, output, encode, videoOut ? null : job.PrepareFrames())
            {
                PiecesKept = job.Pieces.Count, FramesKept = job.FramesDone, Resumed = job.Resumed,
            };
        }
        catch
        {
            job.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains the shots after <see cref="FramesKept"/> (<see cref="StabilizeStage.Run"/>) and writes their frames, each shot a
    /// piece recorded as soon as it is whole; <paramref name="emitted"/> sees every frame written. Then joins the pieces into the
    /// output (a video with the source's audio, subtitles and metadata; a folder of PNGs named after the input frames) and removes
    /// the work folder. A failure after a finished piece keeps the folder and says how to continue.
    /// </summary>
    /// <param name="report">Hears each piece kept (<see cref="RestoreStage.Saved"/>), the join and its notes, timed by <paramref name="clock"/>.</param>
    public void Run(FrameStore inputs, FrameStore targets, FrameSource source, IReadOnlyList<long> times,
        StabilizeOptions options, Backends.IBackend backend, Action<int, Tensor> emitted, Action<StabilizeProgress> progress,
        Action<RestoreProgress> report, System.Diagnostics.Stopwatch clock, CancellationToken cancel)
    {
        void Note(string text) => report(new RestoreProgress(RestoreStage.Note, 0, 0, text, clock.Elapsed));
        try
        {
            StabilizeStage.Run(inputs, targets, options, backend, (t, frame) =>
                {
                    if (VideoOut)
                    {
                        // A shot's piece starts at its first frame's time, as a restore's does: the join puts it back there.
                        _piece ??= new VideoSink(_job.PiecePath(_job.Pieces.Count, ".nut"), source.TimeBase, null, _encode,
                            frameRate: source.FrameRate, sampleAspect: source.SampleAspect);
                        _piece.Write(frame, times[t] - times[_job.FramesDone]);
                    }
                    else ImageIO.Write(Path.Combine(_framesFolder!, source.FrameName(t)), frame, source.SampleAspect);
                    emitted(t, frame);
                },
                progress, cancel, _job.FramesDone,
                (start, end) =>
                {
                    string? file = null;
                    if (_piece is not null)
                    {
                        _piece.Complete(cancel);
                        file = Path.GetFileName(_job.PiecePath(_job.Pieces.Count, ".nut"));
                        _piece.Dispose();
                        _piece = null;
                    }
                    _job.Add(new RestorePiece(start, end, times[start], file));
                    report(new RestoreProgress(RestoreStage.Saved, end, inputs.Count, $"piece {_job.Pieces.Count}", clock.Elapsed));
                },
                // The shots before the one trained are the pieces kept: its index is theirs to come.
                (shot, start, end) => new TrainingSaves(_job.TrainingPath(shot), options.SaveEvery, $"shot {shot + 1} (frames {start}–{end - 1})", Note));
            report(new RestoreProgress(RestoreStage.Join, _job.FramesDone, _job.FramesDone,
                _job.Pieces.Count == 1 ? "1 piece" : $"{_job.Pieces.Count} pieces", clock.Elapsed));
            if (VideoOut) VideoSegments.Join(_job.VideoPieces(), _output, source.StreamSource, Note, cancel, piecesVerified: true, madeWith: _encode);
        }
        catch (Exception e)
        {
            if (!_job.HoldsWork || cancel.IsCancellationRequested || e is not (ReelException or IOException)) throw;
            throw new ReelException($"{e.Message}; {_job.Kept()}: run the same command with --resume to continue", e);
        }
        // Outside the try: its advice is its own, not doubled by the one above.
        if (!VideoOut) _job.MoveFramesTo(_output);
        _done = true;
    }

    /// <summary>
    /// Stops a piece being written (its partial file goes) and lets the work folder go: kept for a resume where a piece is
    /// finished or a shot's training saved, removed where the output is in place or nothing was (a run stopped while it read the frames).
    /// </summary>
    public void Dispose()
    {
        _piece?.Dispose();
        if (_done || !_job.HoldsWork) _job.Delete();
        else _job.Dispose();
    }
}
