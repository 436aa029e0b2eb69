using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Reel.Engine;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Metrics;
using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;
using Reel.Engine.Tensors;
using Reel.Engine.Video;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel stabilize`: remove the flicker a per-frame process left, with a Deep Video Prior per shot
/// or, streaming, with the flow-guided stage.
/// </summary>
public static class StabilizeCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "The original frames: a folder of images (in the order of the numbers in their names) or a video", Required = true };
        var deinterlace = DeinterlaceChoice.CreateOption("stabilizing, as the processing that made --processed did");
        var processed = new Option<string>("--processed") { Description = "The per-frame processed frames, paired in order: a folder or a video", Required = true };
        var output = new Option<string>("--output") { Description = "A new folder of PNG frames, or a video file (.mp4, .mkv, …; H.264, audio copied from a video input); written atomically", Required = true };
        var prior = new PriorChoice();
        var width = new Option<int>("--width") { Description = "U-Net base width (the paper's is 32)", DefaultValueFactory = _ => 32 };
        var rate = new Option<float>("--learning-rate") { Description = "Adam's step size (the paper's is 1e-4)", DefaultValueFactory = _ => new StabilizeOptions().LearningRate };
        var coarse = new Option<bool>("--coarse-to-fine") { Description = "Train on 2× decimated frames for the first 4/5 of the epochs (faster)" };
        var noShots = new Option<bool>("--no-shots") { Description = "Train one prior on the whole sequence instead of one per detected shot" };
        var seed = new Option<int>("--seed") { Description = "Seed of the weight initialization", DefaultValueFactory = _ => 0 };
        var progress = new ProgressChoice();
        var mode = new Option<string>("--mode")
        {
            Description = "rgb: reproduce the processed RGB frames (the paper); chroma: work on Lab a, b only (the prior at reduced size) and keep the processed frames' full-resolution L (for colorization flicker)",
            DefaultValueFactory = _ => "rgb",
        };
        mode.AcceptOnlyFromAmong("rgb", "chroma");
        var memory = new Option<int>("--memory-mb")
        {
            Description = "Frames kept in memory up to this many MiB (input and processed together); the rest wait on disk in a temp folder",
            DefaultValueFactory = _ => 2048,
        };
        var device = DeviceChoice.CreateOption("cpu");
        var precision = DeviceChoice.PrecisionOption();
        var temporal = TemporalChoice.CreateOption();
        var flowSettings = new TemporalChoice.FlowSettings();
        var lossLog = new Option<string>("--loss-log")
        {
            Description = "Write every training step's loss to this CSV file (shot,epoch,frame,loss), e.g. to compare precisions or learning rates; the progress lines show it only twice a second (written when the run ends; a --resume takes up the interrupted run's lines and writes the whole log)",
        };
        var resume = RestoreCommand.ResumeOption();
        var fps = FolderRate.CreateOption();
        var cmd = new Command("stabilize", "Remove temporal flicker from processed frames (a Deep Video Prior trained per shot, or flow-guided).")
            { input, processed, output, width, rate, coarse, noShots, seed, progress.Progress, progress.NoProgress, mode, memory, device, precision, temporal, lossLog, deinterlace, resume, fps };
        foreach (var o in prior.All.Concat(flowSettings.All)) cmd.Options.Add(o);
        cmd.SetAction((r, cancel) => Task.FromResult(CliRunner.Run(() =>
        {
            var options = prior.Resolve(r, r.GetValue(mode) == "chroma" ? StabilizeMode.Chroma : StabilizeMode.Rgb) with
            {
                Width = r.GetValue(width),
                LearningRate = r.GetValue(rate),
                CoarseToFine = r.GetValue(coarse),
                SplitShots = !r.GetValue(noShots),
                Seed = r.GetValue(seed),
                MemoryBudgetBytes = RestoreCommand.MemoryBudget(r, memory),
            };
            var progressMode = progress.Resolve(r);
            var outPath = r.GetValue(output)!;
            VideoFile.RefuseUnwritten(outPath);
            bool videoOut = VideoFile.IsWrittenVideoPath(outPath);
            if (!videoOut && Directory.Exists(outPath) && Directory.EnumerateFileSystemEntries(outPath).Any())
                throw new ReelException($"output folder {outPath} exists and is not empty; choose a new one");
            FolderRate.RefuseUnlessFolder(r, fps, r.GetValue(input)!);
            var method = TemporalChoice.Parse(r.GetValue(temporal)!);
            // A video that cannot be written there (a read-only or full folder, an encoder this ffmpeg lacks) fails now, not after the
            // first frame; the prior's run checks the source's streams too, below, as its join takes them only after the last shot.
            if (videoOut && method != TemporalMethod.Prior) new EncodeSettings().Check(outPath, cancel);
            // The streamed stages keep no pieces: they run again from the start, at the speed of decoding.
            if (method != TemporalMethod.Prior) GivenOptions.RefuseUnused(r, [resume], $"--temporal {r.GetValue(temporal)} streams its frames and keeps no finished shots to continue from");
            // The prior's run claims the output with its record (StabilizeJob); a streamed one only holds it.
            using var claim = method == TemporalMethod.Prior ? null : RestoreJob.Claim(outPath);
            if (method != TemporalMethod.Prior)
                GivenOptions.RefuseUnused(r, prior.All.Concat([width, rate, coarse, noShots, seed]), $"--temporal {r.GetValue(temporal)} trains no prior");
            if (method != TemporalMethod.Flow) GivenOptions.RefuseUnused(r, flowSettings.All, $"they set the flow stage, and --temporal is {r.GetValue(temporal)}");
            if (options.Mode == StabilizeMode.Rgb) GivenOptions.RefuseUnused(r, prior.ChromaOnly, "they are chroma mode's, and --mode is rgb");
            if (method == TemporalMethod.Prior) options.Validate();
            if (r.GetValue(lossLog) is not null && method != TemporalMethod.Prior)
                throw new UsageException("--loss-log records the prior's training: it needs --temporal prior");
            var backend = DeviceChoice.Resolve(r.GetValue(device)!, FastBackend.Instance, r.GetValue(precision));
            using var deviceMemory = backend as IDisposable;
            if (method != TemporalMethod.Prior)
            {
                using var flow = method == TemporalMethod.Flow ? new FlowTemporal(flowSettings.Read(r, options.Mode), backend) : null;
                FlickerMeter? streamed = null;
                ProgressDisplay.Run(progressMode, report => streamed = Stream(r.GetValue(input)!, r.GetValue(processed)!, outPath, videoOut, flow, report, cancel,
                    DeinterlaceChoice.Parse(r.GetValue(deinterlace)!), r.GetValue(fps)!));
                Summarize(streamed!, outPath);
                return 0;
            }

            var deinterlaceMode = DeinterlaceChoice.Parse(r.GetValue(deinterlace)!);
            string inPath = r.GetValue(input)!, processedPath = r.GetValue(processed)!;
            var inputSource = FrameSource.Open(inPath, r.GetValue(fps)!, deinterlaceMode, role: "--input");
            var processedSource = FrameSource.Open(processedPath, role: "--processed");
            if (videoOut) new EncodeSettings().Check(outPath, cancel, inputSource.StreamSource, inputSource.FrameDurationNs);
            var clock = Stopwatch.StartNew();
            var notes = new List<string>();
            // Opened before the frames are read: a second run on this output, or an interrupted one without --resume, is refused at once.
            using var job = StabilizeJob.Open(inputSource, processedPath, outPath, videoOut, options, r.GetValue(resume), notes.Add, cancel);
            var meter = new FlickerMeter();
            // After the job: its work folder keeps the log of the run it continues, and a fresh start has cleared it. A run
            // without --loss-log goes on with no log: the one kept would then lack its steps, so it goes, and a later
            // --loss-log resume names the shots it lacks instead of splicing in steps this run trained over.
            if (r.GetValue(lossLog) is null) File.Delete(Path.Combine(job.Folder, RestoreJob.LossLogFile));
            using var steps = r.GetValue(lossLog) is { } log ? new LossLog(log, job.Folder) : null;
            ProgressDisplay.Run(progressMode, report =>
            {
                void Note(string text) => report(new RestoreProgress(RestoreStage.Note, 0, 0, text, clock.Elapsed));
                notes.ForEach(Note);
                if (videoOut && new EncodeSettings().For(outPath).PaddingNote(inputSource.Width, inputSource.Height) is { } padding) Note(padding);
                int skip = job.FramesKept;
                long expected = inputSource.EstimatedCount ?? 0;
                if (skip > 0)
                    report(new RestoreProgress(RestoreStage.Resume, skip, RestoreProgress.TotalOf(expected, skip),
                        job.PiecesKept == 1 ? "1 shot kept from the interrupted run" : $"{job.PiecesKept} shots kept from the interrupted run", clock.Elapsed));
                // A record whose every piece was damaged has said so above: that run is continued, from its start.
                else if (r.GetValue(resume) && !job.Resumed)
                    Note($"resume: no interrupted run of {outPath} to continue; stabilizing from the start");
                // Every frame is read before the first shot trains (the shots are cut on them), those of kept shots too: a film's
                // take minutes, said as they go, at their own rate. Each reading line also goes through the run's meter, as no
                // stage's work there, so its first training step is not charged the reading's time.
                var rates = new ProgressMeter(skip, options.Epochs, RestoreStage.Stabilize, RestoreStage.Encode);
                var reading = new ProgressMeter(0, 0, RestoreStage.Process);
                var (inputs, targets, times) = Load(inputSource, processedSource, options.MemoryBudgetBytes / 2, cancel, read =>
                {
                    var line = new RestoreProgress(RestoreStage.Process, read, RestoreProgress.TotalOf(expected, read), "reading the frames", clock.Elapsed);
                    // Without its total: the run's meter keeps the largest it hears, and the estimate may exceed the frames there are.
                    rates.Measure(line with { Total = 0 });
                    report(reading.Measure(line));
                });
                using var inputStore = inputs;
                using var targetStore = targets;
                int count = inputs.Count;
                // A shot's frames are emitted after its training and before the next shot's: they are the last trained shot's.
                int? shot = null;
                job.Run(inputs, targets, inputSource, times, options, backend, (t, frame) =>
                    {
                        meter.Add(inputs[t], targets[t], frame);
                        report(rates.Measure(new RestoreProgress(RestoreStage.Encode, t + 1, count, "", clock.Elapsed) { Shot = shot }));
                    },
                    p =>
                    {
                        if (steps?.Add(p) is { } missing) Note(missing);
                        shot = p.Shot;
                        report(rates.Measure(new RestoreProgress(RestoreStage.Stabilize, (long)(p.Fraction * count), count,
                                p.Shots == 1 ? "1 shot" : string.Create(CultureInfo.InvariantCulture, $"{p.Shots} shots"), clock.Elapsed) { Shot = p.Shot, Epoch = p.Epoch, Epochs = p.Epochs, Loss = p.Loss, KeptFrames = p.KeptFrames },
                            p.Fraction * count));
                    },
                    p => report(rates.Measure(p)), clock, cancel);
            });
            steps?.Complete();
            Summarize(meter, outPath, job.FramesKept);
            return 0;
        }, cancel, () => Directory.Exists(RestoreJob.FolderFor(r.GetValue(output)!)) && TemporalChoice.Parse(r.GetValue(temporal)!) == TemporalMethod.Prior
            ? RestoreCommand.WhatIsKept(r.GetValue(output)!)
            : $"nothing was written to {r.GetValue(output)}; run the same command again", progress.EndLine(r))));
        return cmd;
    }

    /// <param name="kept">Frames an interrupted run stabilized, which this one did not see: the figures are of this run's frames.</param>
    private static void Summarize(FlickerMeter meter, string outPath, int kept = 0)
    {
        Console.Error.WriteLine($"stabilized {meter.Frames} frames{(kept > 0 ? $" ({kept} more kept from the interrupted run)" : "")} → {outPath}");
        if (meter.Frames < 2) return;
        // Processed frames that change exactly as the input does have no flicker to divide by.
        string ratio = meter.FlickerBefore > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{meter.FlickerAfter / meter.FlickerBefore:F2}×")
            : "the processed frames had none";
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flicker {meter.FlickerBefore:F4} (processed) → {meter.FlickerAfter:F4} (stabilized), {ratio}; PSNR to processed {meter.MeanPsnr:F2} dB{(kept > 0 ? $" (of the {meter.Frames} frames of this run)" : "")}"));
    }

    /// <summary>
    /// The flow-guided stage (or none) frame by frame: one frame of the input and of the processed
    /// sequence read at a time, its output written at once, so nothing waits for the rest of the shot.
    /// The stage's own work is reported as "process", writing as "encode".
    /// </summary>
    private static FlickerMeter Stream(string inputPath, string processedPath, string outPath, bool videoOut, FlowTemporal? flow,
        Action<RestoreProgress> report, CancellationToken cancel, Deinterlace deinterlace, string folderRate)
    {
        var inputs = FrameSource.Open(inputPath, folderRate, deinterlace, role: "--input");
        var processed = FrameSource.Open(processedPath, role: "--processed");
        if (inputs.Width != processed.Width || inputs.Height != processed.Height)
            throw new ReelException($"input frames are {inputs.Width}×{inputs.Height} but processed frames are {processed.Width}×{processed.Height}");
        // Two folders whose counts differ are refused before a frame is streamed, not when the shorter one runs out.
        if (inputs.ExactCount is int n && processed.ExactCount is int m && n != m)
            throw new ReelException($"--input has {n} frames but --processed has {m}; input and processed frames must pair one to one");
        var names = new List<string>();
        var meter = new FlickerMeter();
        var clock = Stopwatch.StartNew();
        var rates = new ProgressMeter(0, 0, RestoreStage.Process, RestoreStage.Encode);
        long total = inputs.EstimatedCount ?? 0;
        using IFrameSink sink = videoOut
            ? new VideoSink(outPath, inputs.TimeBase, inputs.StreamSource, note: n => report(new RestoreProgress(RestoreStage.Note, 0, 0, n, clock.Elapsed)),
                frameRate: inputs.FrameRate, sampleAspect: inputs.SampleAspect)
            : new FolderSink(outPath, names, inputs.SampleAspect);
        using var a = inputs.Read(PixelFormat.Rgb24).GetEnumerator();
        using var b = processed.Read(PixelFormat.Rgb24).GetEnumerator();
        var work = new Stopwatch();
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            bool moreInput = a.MoveNext(), moreProcessed = b.MoveNext();
            if (!moreInput && !moreProcessed) break;
            if (moreInput != moreProcessed)
                throw new ReelException($"after {meter.Frames} frames the {(moreInput ? "processed" : "input")} sequence ended; input and processed frames must pair one to one");
            var x = ImageIO.ToTensor(a.Current.Pixels, inputs.Width, inputs.Height, PixelFormat.Rgb24);
            var p = ImageIO.ToTensor(b.Current.Pixels, processed.Width, processed.Height, PixelFormat.Rgb24);
            work.Start();
            var o = p;
            // The stage's result lives on its backend (a GPU's memory): the sink and the meter read it here.
            if (flow is not null)
                using (var consistent = flow.Next(x, p))
                    o = consistent.ToHost();
            work.Stop();
            int done = meter.Frames + 1;
            report(rates.Measure(new RestoreProgress(RestoreStage.Process, done, RestoreProgress.TotalOf(total, done), flow is null ? "copy" : "flow", clock.Elapsed)));
            meter.Add(x, p, o);
            names.Add(a.Current.Name);
            sink.Write(o, a.Current.PtsNs);
            report(rates.Measure(new RestoreProgress(RestoreStage.Encode, done, RestoreProgress.TotalOf(total, done), "", clock.Elapsed)));
        }
        sink.Complete();
        if (flow is not null && meter.Frames > 0)
            report(new RestoreProgress(RestoreStage.Note, 0, 0, string.Create(CultureInfo.InvariantCulture,
                $"flow stage: {work.Elapsed.TotalSeconds:F1} s, {work.Elapsed.TotalSeconds / meter.Frames:F3} s per frame (decoding and encoding not counted)"), clock.Elapsed));
        return meter;
    }

    /// <summary>
    /// Reads the input's and the processed frames side by side into stores of <paramref name="budget"/> bytes each, with the
    /// input's times; <paramref name="read"/> hears the frames read so far after each. Where one runs out first the other is
    /// read to its end, so the counts that differ are said as they are.
    /// </summary>
    private static (FrameStore Inputs, FrameStore Targets, IReadOnlyList<long> Times) Load(FrameSource input, FrameSource processed, long budget,
        CancellationToken cancel, Action<int> read)
    {
        var inputs = new FrameStore(budget);
        var targets = new FrameStore(budget);
        try
        {
            var times = new List<long>();
            using var a = input.Read(PixelFormat.Rgb24, cancel).GetEnumerator();
            using var b = processed.Read(PixelFormat.Rgb24, cancel).GetEnumerator();
            bool moreA = true, moreB = true;
            while ((moreA = moreA && a.MoveNext()) | (moreB = moreB && b.MoveNext()))
            {
                if (moreA)
                {
                    inputs.Add(ImageIO.ToTensor(a.Current.Pixels, input.Width, input.Height, PixelFormat.Rgb24));
                    times.Add(a.Current.PtsNs);
                }
                if (moreB) targets.Add(ImageIO.ToTensor(b.Current.Pixels, processed.Width, processed.Height, PixelFormat.Rgb24));
                read(Math.Max(inputs.Count, targets.Count));
            }
            return (inputs, targets, times);
        }
        catch
        {
            inputs.Dispose();
            targets.Dispose();
            throw;
        }
    }
}
