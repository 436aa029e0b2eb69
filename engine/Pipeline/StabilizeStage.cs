using System.Diagnostics;
using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Engine.Pipeline;

/// <summary>
/// The Deep Video Prior (Lei, Xing, Chen 2020): a U-Net trained on the shot itself to map each
/// input frame to its processed frame. It learns the consistent part of the processing before
/// the flicker, so stopping early gives a temporally stable result. The net's own methods prepare
/// frames for it (padded to its size multiple) and crop its answers back; in chroma mode
/// <see cref="PriorChroma"/> codes the frames as normalized Lab. This stage sequences them.
/// </summary>
public static class StabilizeStage
{
    /// <summary>
    /// Trains one prior per shot and emits every stabilized frame (1, 3, H, W) in order. The first
    /// <paramref name="skip"/> frames were stabilized by an interrupted run: their shots are not trained again
    /// (it must end where a shot does). <paramref name="shotEnded"/> hears each trained shot's frames [start, end)
    /// once the last of them is emitted. <paramref name="saves"/> gives, for a shot's index and frames [start, end), where its
    /// training is saved as it goes and taken up from (<see cref="TrainingSaves"/>).
    /// </summary>
    public static void Run(FrameStore input, FrameStore processed, StabilizeOptions options, IBackend backend,
        Action<int, Tensor> emit, Action<StabilizeProgress>? progress = null, CancellationToken cancel = default,
        int skip = 0, Action<int, int>? shotEnded = null, Func<int, int, int, TrainingSaves>? saves = null)
    {
        options.Validate();
        if (input.Count != processed.Count)
            throw new ReelException($"{input.Count} input frames but {processed.Count} processed frames; they must pair one to one");
        var shots = options.SplitShots ? ShotSplitter.Shots(input, cancel: cancel) : new[] { (Start: 0, End: input.Count) };
        if (skip > 0 && !shots.Any(shot => shot.End == skip))
            throw new ReelException($"the interrupted run's {skip} frames end inside a shot of these frames; were they made from other input?");
        for (int s = 0; s < shots.Count; s++)
        {
            var (start, end) = shots[s];
            if (end <= skip) continue;
            RunShot(input, processed, start, end, options, backend, emit,
                p => progress?.Invoke(p with { Shot = s + 1, Shots = shots.Count, Fraction = (start + p.Fraction * (end - start)) / input.Count }),
                cancel, seed: options.Seed + s, saves?.Invoke(s, start, end));
            shotEnded?.Invoke(start, end);
        }
    }

    /// <summary>
    /// Trains one prior on frames [start, end) of the stores, one shot, and emits its stabilized
    /// frames in order. Progress fractions are of this shot. The caller has validated the options.
    /// </summary>
    /// <param name="saves">Where the training is saved as it goes, and a saved one taken up from; null keeps it in memory only.</param>
    internal static void RunShot(FrameStore input, FrameStore processed, int start, int end, StabilizeOptions options, IBackend backend,
        Action<int, Tensor> emit, Action<StabilizeProgress>? progress, CancellationToken cancel, int seed, TrainingSaves? saves = null)
    {
        for (int t = start; t < end; t += Math.Max(1, end - start - 1))
            if (input[t].Shape.H != processed[t].Shape.H || input[t].Shape.W != processed[t].Shape.W)
                throw new ReelException($"frame {t}: input is {Describe(input[t])} but processed is {Describe(processed[t])}");

        using var chroma = options.Mode == StabilizeMode.Chroma ? new PriorChroma(options.ChromaScale, backend) : null;
        // Each of the shot's chroma stores (inputs, targets, answers) keeps this much where the backend computes, the rest on disk.
        long keep = backend.KeepBudget(options.MemoryBudgetBytes / 2);
        using var chromaInput = chroma is null ? null : Encode(chroma, input, start, end, options, backend, keep);
        // The chroma match's statistics of the targets: as trained on (modes held) and as the colorizer showed them.
        var (trained, shown) = chroma is not null && options.MatchChroma ? (new ShotChroma(), new ShotChroma()) : (null, null);
        using var chromaTarget = chroma is null ? null : Encode(chroma, processed, start, end, options, backend, keep, input, trained, shown);
        // The chroma stores hold only this shot, from index 0.
        Tensor TrainInput(int t) => chromaInput is null ? input[t] : chromaInput[t - start];
        Tensor TrainTarget(int t) => chromaTarget is null ? processed[t] : chromaTarget[t - start];
        var clock = Stopwatch.StartNew();
        int totalSteps = checked((end - start) * options.Epochs);
        var frameSize = input[start].Shape;
        // Everything that shapes the training's steps: a saved training made otherwise is not this one.
        string identity = saves is null ? "" : string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{saves.Shot}, {end - start} frames of {frameSize.W}×{frameSize.H}, seed {seed}, {options.Describe()}");
        var saved = saves is null ? null : TakeUp(saves, identity, options, totalSteps);
        int resumeAt = saved?.StepsDone ?? 0;
        long done = resumeAt;
        double lastLoss = double.NaN;
        var sinceSave = Stopwatch.StartNew();
        // The steps the file at saves' path holds: a stop saves first when more have been taken since.
        long savedAt = resumeAt;
        // The weights, gradients and Adam's moments live where the backend computes for the whole shot.
        using var net = saved?.Net ?? VideoPrior.Create(options.Width, options.OutChannels, seed);
        net.MoveTo(backend);
        // Epochs [first, last] with one trainer (its own Adam state), from the shot's step done + 1 (the steps counted
        // epoch by epoch, frame by frame, warm ones included). A step's loss is reported once it has come back: on a
        // GPU while the next step runs (the host waits for the step before the one it has just queued, so the device
        // is never idle waiting for the host); on a CPU at once. With saves, once their time has come after a step, and
        // when a stop is asked for, the steps queued are waited for and the training so far is saved.
        void Train(PriorTrainer trainer, bool warm, int first, int last)
        {
            var pending = new Queue<(IPendingRead Loss, int Epoch, int Frame)>();
            void Report()
            {
                var (read, epoch, frame) = pending.Dequeue();
                double loss;
                using (read) loss = read.Wait()[0];
                lastLoss = loss;
                // The first step's report after a saved training was taken up counts its steps too.
                double kept = done == resumeAt ? (double)resumeAt / options.Epochs : 0;
                done++;
                progress?.Invoke(new StabilizeProgress(1, 1, epoch, options.Epochs, frame - start + 1, end - start,
                    loss, (double)done / totalSteps, clock.Elapsed) { KeptFrames = kept });
            }
            try
            {
                for (int epoch = first; epoch <= last; epoch++)
                {
                    var kind = options.LossOf(epoch);
                    int decimation = options.DecimationOf(epoch);
                    for (int t = start; t < end; t++)
                    {
                        int step = (epoch - 1) * (end - start) + t - start;
                        if (step < resumeAt) continue;
                        if (cancel.IsCancellationRequested)
                        {
                            while (pending.Count > 0) Report();
                            if (saves is not null && done > savedAt) Save(trainer, warm);
                            cancel.ThrowIfCancellationRequested();
                        }
                        int frame = options.Initializes(epoch) ? start : t;
                        var (x, validH, validW) = VideoPrior.PrepareInput(TrainInput(frame), decimation, backend);
                        var (p, _, _) = VideoPrior.PrepareInput(TrainTarget(frame), decimation, backend);
                        using (x)
                        using (p)
                            pending.Enqueue((trainer.Enqueue(kind, x, p, validH, validW), epoch, frame));
                        while (pending.Count > 1 || (pending.Count == 1 && pending.Peek().Loss.IsReady)) Report();
                        if (saves is not null && sinceSave.Elapsed >= saves.Every)
                        {
                            while (pending.Count > 0) Report();
                            Save(trainer, warm);
                            sinceSave.Restart();
                        }
                    }
                }
                while (pending.Count > 0) Report();
            }
            finally
            {
                foreach (var (read, _, _) in pending) read.Dispose();
            }
        }
        // A save that fails (a full disk, a work folder gone) is said once and the training goes on: a save only spares a
        // stop the steps before it, and failing a shot's training for it would lose them all.
        // Every step taken is in it (the caller waited for them); with no trainer (the training done), only the weights.
        bool saveFailed = false;
        void Save(PriorTrainer? trainer, bool warm)
        {
            try
            {
                SavedTraining.Write(saves!.Path, identity, (int)done, lastLoss, warm, net, trainer);
                savedAt = done;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ReelException)
            {
                if (!saveFailed) saves!.Note($"{saves.Shot}: its training could not be saved ({e.Message}); it goes on, and a stop would lose the steps since the last save");
                saveFailed = true;
            }
        }
        // The warm epochs have an Adam of their own: its moments belong to one frame's fit at a
        // larger step, and are freed (device memory on a GPU) before the shot's frames take over.
        // A saved training takes up the optimizer it saved, before that optimizer's first step here.
        if (options.WarmEpochs > 0 && saved is not { Warm: false })
        {
            using var warm = new PriorTrainer(net, backend, options.WarmLearningRate);
            if (saved is { Warm: true }) warm.Optimizer.Resume(saved.OptimizerSteps, saved.Moments);
            Train(warm, true, 1, options.WarmEpochs);
        }
        if (done < totalSteps)
            using (var trainer = new PriorTrainer(net, backend, options.LearningRate))
            {
                if (saved is { Warm: false }) trainer.Optimizer.Resume(saved.OptimizerSteps, saved.Moments);
                Train(trainer, false, options.WarmEpochs + 1, options.Epochs);
            }
        // A shot the interrupted run trained to its end still says so, once, with its last loss: its steps counted, none this run's.
        if (saved is not null && resumeAt == totalSteps)
            progress?.Invoke(new StabilizeProgress(1, 1, options.Epochs, options.Epochs, end - start, end - start, saved.Loss, 1, clock.Elapsed)
                { KeptFrames = (double)totalSteps / options.Epochs });
        try
        {
            Answer();
        }
        catch (Exception) when (cancel.IsCancellationRequested && saves is not null && done > savedAt)
        {
            // Stopped while the trained net made the shot's frames: its training, done, is kept for the resume to make them from.
            Save(null, false);
            throw;
        }
        return;

        // The trained net's answers, emitted in order.
        void Answer()
        {
            // Each frame's prediction prepares every conv afresh for its one run, as a training step
            // does: inference's plan (Winograd's transform of every weight, 4× their size) would make
            // that much garbage per frame, more than a capped heap can always clear in time.
            var predicting = backend.ForTraining();
            Tensor Predict(int t)
            {
                cancel.ThrowIfCancellationRequested();
                var (x, h, w) = VideoPrior.PrepareInput(TrainInput(t), 1, backend);
                using (x)
                    return net.Predict(x, h, w, predicting);
            }
            // Emits frame t − 1 once frame t is queued: on a GPU the host encodes one frame while the device makes the next.
            void EmitEach(Func<int, Tensor> finish)
            {
                using var reads = new LaggedReads<(int T, PendingTensor Read)>(r => emit(r.T, r.Read.Wait()), r => r.Read.Dispose());
                for (int t = start; t < end; t++)
                    using (var frame = finish(t))
                        reads.Add((t, backend.ReadTensorLater(frame)));
                reads.Finish();
            }
            if (chroma is null)
            {
                EmitEach(t =>
                {
                    using var predicted = Predict(t);
                    return backend.Execute(new ClampOp(0f, 1f), predicted);
                });
                return;
            }
            // With the chroma matched, every answer is kept (at the net's size, where it was computed) until the shot's match is known.
            using var answers = options.MatchChroma ? new FrameStore(keep) : null;
            var match = ChromaMatch.None;
            if (answers is not null)
            {
                var answered = new ShotChroma();
                // A shot's frames share one size (FrameSource holds every folder and video to one): read it once,
                // not a spilled frame from disk per answer.
                var size = processed[start].Shape;
                // Each answer's chroma is read once the next answer is queued, so the device is not left idle by the wait.
                using (var measured = new LaggedReads<PendingChroma>(m => answered.Add(m.Wait()), m => m.Dispose()))
                {
                    for (int t = start; t < end; t++)
                    {
                        var predicted = Predict(t);
                        try
                        {
                            measured.Add(chroma.MeasureAnswer(predicted, size.H, size.W));
                        }
                        catch
                        {
                            predicted.Dispose();
                            throw;
                        }
                        answers.Add(predicted);
                    }
                    measured.Finish();
                }
                match = ChromaMatch.Between(trained!, shown!, answered);
            }
            EmitEach(t =>
            {
                using var fresh = answers is null ? Predict(t) : null;
                return chroma.Decode(fresh ?? answers![t - start], processed[t], match);
            });
        }
    }

    /// <summary>
    /// The training saved at <paramref name="saves"/>' path when it is this one's (<paramref name="identity"/>), said; one
    /// that is not (another shot's, a damaged file) is said and removed, and the shot trains from its start.
    /// </summary>
    private static SavedTraining? TakeUp(TrainingSaves saves, string identity, StabilizeOptions options, int totalSteps)
    {
        // A save a killed run left half written (a hidden temporary carrying its pid) is no one's: about 100 MB each.
        TempFile.RemoveOrphans(saves.Path);
        if (!File.Exists(saves.Path)) return null;
        int perEpoch = totalSteps / options.Epochs;
        var (saved, whyNot) = SavedTraining.Read(saves.Path, identity, options.Width, options.OutChannels, totalSteps, options.WarmEpochs * perEpoch);
        if (saved is null)
        {
            saves.Note($"{saves.Shot}: the training saved in {saves.Path} is not taken up ({whyNot}); its prior trains from the start");
            try
            {
                File.Delete(saves.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The next save replaces it; until then it is only a file that is not taken up.
            }
            return null;
        }
        saves.Note(saved.StepsDone == totalSteps
            ? $"{saves.Shot}: its prior was trained by the interrupted run; its frames are made again from the saved training"
            : $"{saves.Shot}: its prior's training goes on from the interrupted run's, {saved.StepsDone} of {totalSteps} steps done " +
              $"(epoch {(saved.StepsDone - 1) / perEpoch + 1} of {options.Epochs}, frame {(saved.StepsDone - 1) % perEpoch + 1} of {perEpoch})");
        return saved;
    }

    /// <summary>
    /// Frames [start, end) as the chroma net sees them, computed on the backend and kept there (device
    /// memory on a GPU, so the shot's training steps read them without crossing the bus) within
    /// <paramref name="budget"/> bytes, the rest on disk; with <paramref name="input"/> (the targets, when the options
    /// hold modes and the frames can be followed) their modes held along the input's motion first. With
    /// <paramref name="trained"/> and <paramref name="shown"/>, each frame's chroma at full size is added to
    /// them, held and as it came.
    /// </summary>
    private static FrameStore Encode(PriorChroma chroma, FrameStore frames, int start, int end, StabilizeOptions options,
        IBackend backend, long budget, FrameStore? input = null, ShotChroma? trained = null, ShotChroma? shown = null)
    {
        // Split into shots, [start, end) is one: the hold needs no cut detector of its own.
        using var alignment = input is not null && options.HoldModes && ModeAlignment.CanFollow(frames[start].Shape)
            ? new ModeAlignment(backend, detectCuts: !options.SplitShots)
            : null;
        var store = new FrameStore(budget);
        // Each frame's chroma as shown and as held, read once the next frame is queued, so the device is not left idle by the wait.
        using var measured = new LaggedReads<(PendingChroma Shown, PendingChroma? Held)>(m =>
        {
            var asShown = m.Shown.Wait();
            shown!.Add(asShown);
            trained!.Add(m.Held?.Wait() ?? asShown);
        }, m =>
        {
            m.Shown.Dispose();
            m.Held?.Dispose();
        });
        try
        {
            for (int t = start; t < end; t++)
            {
                var frame = frames[t];
                using var held = alignment?.Next(input![t], frame);
                PendingChroma? asShown = null, asHeld = null;
                try
                {
                    if (shown is not null)
                    {
                        asShown = chroma.Measure(frame);
                        asHeld = held is null ? null : chroma.Measure(held);
                    }
                    store.Add(chroma.Encode(held ?? frame));
                }
                catch
                {
                    asShown?.Dispose();
                    asHeld?.Dispose();
                    throw;
                }
                if (asShown is not null) measured.Add((asShown, asHeld));
            }
            measured.Finish();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static string Describe(Tensor t) => $"{t.Shape.W}×{t.Shape.H} with {t.Shape.C} channel(s)";
}
