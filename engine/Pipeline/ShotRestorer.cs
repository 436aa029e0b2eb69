using System.Diagnostics;
using System.Security.Cryptography;
using Reel.Engine.Backends;
using Reel.Engine.Ops;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Engine.Pipeline;

/// <summary>
/// What a restore does to one shot, whichever process runs it: the one-process restore as its
/// splitter cuts shots, or a shard worker as its plan lists them (<see cref="ShardWorker"/>).
/// Each frame goes through the networks as it arrives (<see cref="FrameStages"/>, the next one queued
/// before the one before is handed on); then the prior
/// is trained on the shot, seeded by the shot's index in the film, so any process that makes a
/// shot makes the same piece; then the finished frames are encoded as the shot's piece, which is
/// read back before it is kept.
/// </summary>
internal sealed class ShotRestorer
{
    private readonly FrameSource _source;
    private readonly RestoreOptions _options;
    private readonly MemoryPlan _memory;
    private readonly IBackend _backend;
    private readonly FrameStages _stages;
    private readonly long _total;
    private readonly Stopwatch _clock;
    private readonly Action<RestoreProgress, double?> _report;
    private readonly CancellationToken _cancel;

    /// <param name="total">Frames this run reports against (0 when unknown).</param>
    /// <param name="report">Told each progress event, with the exact frames done where the event's count is rounded down.</param>
    public ShotRestorer(FrameSource source, RestoreOptions options, MemoryPlan memory, IBackend backend, long total, Stopwatch clock,
        Action<RestoreProgress, double?> report, CancellationToken cancel)
    {
        (_source, _options, _memory, _backend, _total, _clock, _report, _cancel) = (source, options, memory, backend, total, clock, report, cancel);
        _stages = new FrameStages(backend, options.Denoiser, memory.DenoiseTilePixels, options.Colorizer is null ? null : new ColorizeStage(options.Colorizer, backend), options.Temperature);
        Format = FormatFor(options);
        if (options.Denoiser is { } net && net.TilesFor(new Shape(1, net.Channels, source.Height, source.Width), memory.DenoiseTilePixels) is { Whole: false } grid)
        {
            var plan = net.Tiles(source.Height, source.Width, memory.DenoiseTilePixels);
            bool planned = (grid.WindowHeight, grid.WindowWidth) == (plan.WindowHeight, plan.WindowWidth);
            report(new RestoreProgress(RestoreStage.Note, 0, 0,
                $"denoising in {grid.Tiles.Count} tiles of {grid.WindowWidth}×{grid.WindowHeight} to stay within {(planned ? "--memory-mb" : backend.WorkingMemory)} " +
                $"({Math.Round((grid.Work - 1) * 100)}% more work)", clock.Elapsed), null);
        }
    }

    /// <summary>How frames are decoded for these stages: gray unless the denoiser takes RGB. The shot cuts are made on these frames.</summary>
    public PixelFormat Format { get; }

    /// <summary>Whether the film comes out gray (no colorizer, a gray denoiser or none): its frames, three equal channels, are written as one.</summary>
    private bool RestoresGray => _options.Colorizer is null && Format == PixelFormat.Gray8;

    /// <summary>A decoded frame as the stages take it: (1, C, H, W) in [0, 1], C from <see cref="Format"/>.</summary>
    public Tensor ToTensor(SourceFrame frame) => ImageIO.ToTensor(frame.Pixels, _source.Width, _source.Height, Format);

    /// <summary>How a restore with <paramref name="options"/> decodes its frames (see <see cref="Format"/>).</summary>
    public static PixelFormat FormatFor(RestoreOptions options) =>
        options.Denoiser is null || options.Denoiser.Channels == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24;

    /// <summary>Starts shot <paramref name="index"/> (0-based, in the film), whose first frame is <paramref name="start"/> at <paramref name="startNs"/>.</summary>
    /// <param name="position">This run's frames before the shot's first, for progress (the frame index in a one-process run).</param>
    /// <param name="piecePath">The piece's video file; null writes the frames as images into <paramref name="framesFolder"/>.</param>
    /// <param name="trainingPath">Where the shot's prior training is saved as it goes and taken up from (<see cref="TrainingSaves"/>).</param>
    public Shot Begin(int index, int start, long startNs, long position, string? piecePath, string trainingPath, string? framesFolder = null) =>
        new(this, index, start, startNs, position, piecePath, trainingPath, framesFolder);

    /// <summary>
    /// Queues the networks on the next frame of <paramref name="shot"/>, then hands on the frame queued
    /// before it: on a GPU the host stores (or encodes) one frame while the device computes the next.
    /// </summary>
    /// <param name="pixels">The frame as a tensor (<see cref="ToTensor"/>), when the caller has made it already; else it is made here.</param>
    public void Add(Shot shot, SourceFrame frame, Tensor? pixels = null)
    {
        ShotPlanner.AddFrame(shot.Input, frame);
        var queued = _stages.Queue(pixels ?? ToTensor(frame), shot.Flow);
        try
        {
            Complete(shot);
        }
        catch
        {
            queued.Dispose();
            throw;
        }
        shot.InFlight = (queued, frame.PtsNs, frame.Name);
    }

    /// <summary>Waits for the shot's frame in flight, if any, and hands it on.</summary>
    private void Complete(Shot shot)
    {
        if (shot.InFlight is not var (queued, ptsNs, name)) return;
        shot.InFlight = null;
        (Tensor RestoredInput, Tensor Processed) results;
        using (queued) results = queued.Wait();
        long done = shot.Position + shot.Count + 1;
        // Reported before the frame is handed on: without the prior, Add encodes it, and that time is the encoder's.
        Report(new RestoreProgress(RestoreStage.Process, done, RestoreProgress.TotalOf(_total, done), shot.Flow is null ? _stages.Description : _stages.Description + ", flow", _clock.Elapsed) { Shot = shot.Index + 1 });
        shot.Add(results.RestoredInput, results.Processed, ptsNs, name);
    }

    /// <summary>Trains the shot's prior (seeded by the shot's index), writes its frames and hands the finished piece to <paramref name="keep"/>.</summary>
    public void Finish(Shot shot, Action<RestorePiece> keep)
    {
        Complete(shot);
        if (_options.TrainsPrior)
        {
            int frames = shot.Count;
            long position = shot.Position;
            var saves = new TrainingSaves(shot.TrainingPath, _options.Prior.SaveEvery, $"shot {shot.Index + 1} (frames {shot.Start}–{shot.Start + frames - 1})",
                text => Report(new RestoreProgress(RestoreStage.Note, 0, 0, text, _clock.Elapsed)));
            StabilizeStage.RunShot(shot.Inputs, shot.Processed, 0, frames, _options.Prior with { MemoryBudgetBytes = _memory.StoreBytes / 5 }, _backend,
                (t, f) => WriteTrained(shot, t, f),
                p => Report(new RestoreProgress(RestoreStage.Stabilize, position + (long)(p.Fraction * frames), RestoreProgress.TotalOf(_total, position + frames),
                        $"frames {shot.Start}–{shot.Start + frames - 1}", _clock.Elapsed) { Shot = shot.Index + 1, Epoch = p.Epoch, Epochs = p.Epochs, Loss = p.Loss, EndsShot = p.Fraction >= 1, KeptFrames = p.KeptFrames },
                    position + p.Fraction * frames),
                _cancel, seed: _options.Prior.Seed + shot.Index, saves);
        }
        keep(shot.Commit());
        long kept = shot.Position + shot.Count;
        Report(new RestoreProgress(RestoreStage.Saved, kept, RestoreProgress.TotalOf(_total, kept), $"piece {shot.Index + 1}", _clock.Elapsed) { Shot = shot.Index + 1 });
    }

    /// <summary>
    /// Frame <paramref name="t"/> as the prior gives it, made gray again where the film is restored gray (no
    /// colorizer, a gray denoiser or none): the prior learns three equal channels, and trained for a few epochs it
    /// drifts into a tint (a mean U of 119 after one epoch), where the frames it learned from had none.
    /// </summary>
    private void WriteTrained(Shot shot, int t, Tensor frame)
    {
        if (!RestoresGray)
        {
            shot.Write(t, frame);
            return;
        }
        using var trained = _backend.Import(frame);
        using var luma = _backend.Execute(new Luma8Op(), trained);
        using var gray = _backend.Execute(new ExpandChannelsOp(3), luma);
        shot.Write(t, gray.ToHost());
    }

    private void Report(RestoreProgress p, double? exactDone = null) => _report(p, exactDone);

    /// <summary>
    /// One shot on its way to a piece: with the prior its frames wait in stores until it is
    /// trained; without, they go straight to the piece's encoder. Disposing an uncommitted shot
    /// deletes what it wrote.
    /// </summary>
    public sealed class Shot : IDisposable
    {
        private readonly ShotRestorer _run;
        private readonly List<long> _pts = new();
        private readonly List<string> _names = new();
        private readonly string? _file;
        private readonly string? _framesFolder;
        private readonly VideoSink? _sink;
        private int _written;
        private string? _inputSha256;

        internal Shot(ShotRestorer run, int index, int start, long startNs, long position, string? piecePath, string trainingPath, string? framesFolder)
        {
            (_run, Index, Start, StartNs, Position, _file, TrainingPath, _framesFolder) = (run, index, start, startNs, position, piecePath, trainingPath, framesFolder);
            if (piecePath is not null)
                _sink = new VideoSink(piecePath, run._source.TimeBase, null, run._options.Encode, frameRate: run._source.FrameRate,
                    sampleAspect: run._source.SampleAspect);
            // The shot is cut already, on the decoded frames by the same rule: the stage needs no cut detector of its own.
            if (run._options.FollowsFlow)
                Flow = new FlowTemporal(run._options.Flow, run._backend, fuseColours: run._options.FuseColours && run._options.Colorizer is not null, detectCuts: false);
            // Full-size inputs and processed frames take 2/5 of the store each; the chroma copies the prior
            // trains on (a quarter of the size) get 1/10 each through its own budget (see Finish).
            Inputs = new FrameStore(run._memory.StoreBytes * 2 / 5);
            Processed = new FrameStore(run._memory.StoreBytes * 2 / 5);
        }

        /// <summary>The shot's 0-based place in the film: its prior's seed is the options' seed plus this.</summary>
        public int Index { get; }
        /// <summary>The film's index of the shot's first frame.</summary>
        public int Start { get; }
        public long StartNs { get; }
        /// <summary>This run's frames before the shot, for progress.</summary>
        public long Position { get; }
        /// <summary>Where the shot's prior training is saved as it goes (<see cref="TrainingSaves"/>).</summary>
        public string TrainingPath { get; }
        public int Count => _pts.Count;
        public FrameStore Inputs { get; }
        public FrameStore Processed { get; }
        /// <summary>The shot's flow-guided temporal stage, when that is the temporal stage (it starts afresh with each shot).</summary>
        public FlowTemporal? Flow { get; }
        /// <summary>The hash of the input frames added (<see cref="ShotPlanner.AddFrame"/>), as a plan's shot has it.</summary>
        internal IncrementalHash Input { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        /// <summary>The SHA-256 of the input frames added, in hex: final once asked (no frame is added after).</summary>
        public string InputSha256 => _inputSha256 ??= Convert.ToHexStringLower(Input.GetHashAndReset());
        /// <summary>The frame whose stages are queued and not yet handed on (<see cref="ShotRestorer.Add"/>), with its time and name.</summary>
        internal (QueuedFrame Frame, long PtsNs, string Name)? InFlight { get; set; }

        internal void Add(Tensor restoredInput, Tensor processed, long ptsNs, string name)
        {
            _pts.Add(ptsNs);
            _names.Add(name);
            if (!_run._options.TrainsPrior)
            {
                Write(_pts.Count - 1, processed);
                return;
            }
            // Host tensors (QueuedFrame.Wait's), so both stores may hold the one tensor when nothing colorizes:
            // disposing a host tensor frees nothing, whichever store lets it go first.
            Inputs.Add(restoredInput);
            Processed.Add(processed);
        }

        /// <summary>Frame <paramref name="t"/> of this shot, finished.</summary>
        internal void Write(int t, Tensor frame)
        {
            if (t != _written) throw new InvalidOperationException($"shot frame {t} written out of order (expected {_written})");
            if (_sink is not null) _sink.Write(frame, _pts[t] - StartNs);
            // A gray film's frame as a gray PNG: its three equal channels made RGB files three times the size.
            else ImageIO.Write(Path.Combine(_framesFolder!, _names[t]), _run.RestoresGray ? frame.View(new Shape(1, 1, frame.Shape.H, frame.Shape.W)) : frame,
                _run._source.SampleAspect);
            _written++;
            long done = Position + _written;
            _run.Report(new RestoreProgress(RestoreStage.Encode, done, RestoreProgress.TotalOf(_run._total, done), "", _run._clock.Elapsed) { Shot = Index + 1 });
        }

        internal RestorePiece Commit()
        {
            if (_written != Count) throw new InvalidOperationException($"{_written} of {Count} frames of the shot were written");
            _sink?.Complete(_run._cancel);
            return new RestorePiece(Start, Start + Count, StartNs, _file is null ? null : Path.GetFileName(_file), InputSha256);
        }

        public void Dispose()
        {
            InFlight?.Frame.Dispose();
            Input.Dispose();
            _sink?.Dispose();
            Flow?.Dispose();
            Inputs.Dispose();
            Processed.Dispose();
        }
    }
}
