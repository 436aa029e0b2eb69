using System.Buffers;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;
using Reel.Engine.Video;

namespace Reel.Engine.Interop;

/// <summary>
/// The C ABI (engine/native/include/reel.h), exported by name from libreel.so: the NativeAOT
/// build of this assembly (engine/native/Reel.Native.csproj) compiles every
/// <c>[UnmanagedCallersOnly(EntryPoint = "reel_…")]</c> below into a C symbol, so a host links
/// one shared library and needs no .NET. Every entry clears the calling thread's last error and
/// catches every exception: C sees a status and reads the message with reel_last_error; nothing
/// managed ever unwinds into native frames.
/// </summary>
// SAFETY: C hands in pointers; each entry checks every one it dereferences for NULL first, and reel.h makes the
// caller own what they point at (one struct, or a frame checked by NativeFrames.Check) for the call's duration.
public static unsafe class NativeExports
{
    [UnmanagedCallersOnly(EntryPoint = "reel_version")]
    private static byte* Version() => Static("0.4.0\0"u8);

    [UnmanagedCallersOnly(EntryPoint = "reel_status_string")]
    private static byte* StatusString(int status) => Static((NativeStatus)status switch
    {
        NativeStatus.Ok => "REEL_OK\0"u8,
        NativeStatus.InvalidArg => "REEL_E_INVALID_ARG\0"u8,
        NativeStatus.Io => "REEL_E_IO\0"u8,
        NativeStatus.Checkpoint => "REEL_E_CHECKPOINT\0"u8,
        NativeStatus.Cancelled => "REEL_E_CANCELLED\0"u8,
        NativeStatus.Unsupported => "REEL_E_UNSUPPORTED\0"u8,
        NativeStatus.Runtime => "REEL_E_RUNTIME\0"u8,
        NativeStatus.OutOfMemory => "REEL_E_OUT_OF_MEMORY\0"u8,
        NativeStatus.Failed => "REEL_E_FAILED\0"u8,
        NativeStatus.Internal => "REEL_E_INTERNAL\0"u8,
        _ => "unknown status\0"u8,
    });

    [UnmanagedCallersOnly(EntryPoint = "reel_last_error")]
    private static byte* LastError() => NativeErrors.LastError;

    [UnmanagedCallersOnly(EntryPoint = "reel_engine_create")]
    private static int EngineCreate(int backend, nint* engine)
    {
        NativeErrors.Clear();
        try
        {
            // SAFETY: engine is checked for NULL; reel.h makes it point at one writable reel_engine*.
            if (engine == null) throw new NativeArgumentException("engine (the out pointer) is NULL");
            *engine = 0;
            IBackend chosen = (NativeBackend)backend switch
            {
                NativeBackend.Auto or NativeBackend.Cpu => FastBackend.Instance,
                NativeBackend.CpuReference => ReferenceBackend.Instance,
                NativeBackend.Cuda => throw new NativeUnsupportedException("the CUDA backend is not built yet; use REEL_BACKEND_AUTO or REEL_BACKEND_CPU"),
                _ => throw new NativeArgumentException($"backend {backend} is not a reel_backend (0 auto, 1 cpu, 2 cpu reference, 3 cuda)"),
            };
            *engine = NativeHandles.Add(new NativeEngine(chosen));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "reel_engine_free")]
    private static int EngineFree(nint engine)
    {
        NativeErrors.Clear();
        try
        {
            if (engine == 0) return 0;
            foreach (var model in NativeHandles.Remove<NativeEngine>(engine, "reel_engine").Models.Keys)
                NativeHandles.Forget(model);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "reel_model_load")]
    private static int ModelLoad(nint engine, int kind, byte* checkpointPath, nint* model)
    {
        NativeErrors.Clear();
        try
        {
            // SAFETY: model is checked for NULL; reel.h makes it point at one writable reel_model*.
            if (model == null) throw new NativeArgumentException("model (the out pointer) is NULL");
            *model = 0;
            var owner = NativeHandles.Get<NativeEngine>(engine, "reel_engine");
            string path = PathArgument(checkpointPath, "checkpoint_path");
            var loaded = (NativeModelKind)kind switch
            {
                NativeModelKind.Denoiser => new NativeModel(engine, DnCnn.Load(path, owner.Backend), null, owner.Backend),
                NativeModelKind.Colorizer => new NativeModel(engine, null, Colorizer.Load(path, owner.Backend), owner.Backend),
                _ => throw new NativeArgumentException($"kind {kind} is not a reel_model_kind (1 denoiser, 2 colorizer)"),
            };
            var handle = NativeHandles.Add(loaded);
            owner.Models[handle] = 0;
            *model = handle;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "reel_model_free")]
    private static int ModelFree(nint model)
    {
        NativeErrors.Clear();
        try
        {
            if (model == 0) return 0;
            var freed = NativeHandles.Remove<NativeModel>(model, "reel_model");
            NativeHandles.Find<NativeEngine>(freed.Engine)?.Models.TryRemove(model, out _);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "reel_model_describe")]
    private static int ModelDescribe(nint model, NativeModelInfo* info)
    {
        NativeErrors.Clear();
        try
        {
            var m = NativeHandles.Get<NativeModel>(model, "reel_model");
            // SAFETY: info is checked for NULL; reel.h makes it point at one writable reel_model_info.
            if (info == null) throw new NativeArgumentException("info is NULL");
            *info = new NativeModelInfo { Kind = (int)m.Kind, Channels = m.Denoiser?.Channels ?? 1 };
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "reel_frame_denoise")]
    private static int FrameDenoise(nint model, NativeFrame* input, NativeFrame* output)
    {
        NativeErrors.Clear();
        try
        {
            var m = NativeHandles.Get<NativeModel>(model, "reel_model");
            // SAFETY: Check refuses NULL frames and sizes that do not fit, before any field or pixel is read.
            var format = NativeFrames.Check(input, "in");
            var outFormat = NativeFrames.Check(output, "out");
            if (outFormat != format || output->Width != input->Width || output->Height != input->Height)
                throw new NativeArgumentException($"out is {Describe(output)} but in is {Describe(input)}; a denoised frame has the input's size and format");
            var net = m.Denoiser ?? throw new NativeArgumentException("this reel_model is a colorizer; reel_frame_denoise needs a denoiser");
            var wanted = net.Channels == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24;
            if (format != wanted)
                throw new NativeArgumentException($"this DnCNN has {net.Channels} channel(s) and takes {Name(wanted)} frames; in is {Name(format)}");
            var x = NativeFrames.Read(input, format);
            Tensors.Tensor y;
            lock (m.Gate) y = net.Forward(x);
            NativeFrames.Write(y, output);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "reel_frame_colorize")]
    private static int FrameColorize(nint model, float temperature, NativeFrame* input, NativeFrame* output)
    {
        NativeErrors.Clear();
        try
        {
            var m = NativeHandles.Get<NativeModel>(model, "reel_model");
            // SAFETY: Check refuses NULL frames and sizes that do not fit, before any field or pixel is read.
            var format = NativeFrames.Check(input, "in");
            var outFormat = NativeFrames.Check(output, "out");
            if (outFormat != PixelFormat.Rgb24 || output->Width != input->Width || output->Height != input->Height)
                throw new NativeArgumentException($"out is {Describe(output)}; a colorized frame is REEL_PIXEL_RGB24 of the input's size {input->Width}×{input->Height}");
            CheckTemperature(temperature);
            var stage = m.ColorizeStage ?? throw new NativeArgumentException("this reel_model is a denoiser; reel_frame_colorize needs a colorizer");
            var frame = NativeFrames.Read(input, format);
            Tensors.Tensor colour;
            lock (m.Gate) colour = stage.Colorize(frame, temperature);
            NativeFrames.Write(colour, output);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "reel_restore_options_init")]
    private static int RestoreOptionsInit(NativeRestoreOptions* options)
    {
        NativeErrors.Clear();
        try
        {
            // SAFETY: options is checked for NULL; reel.h makes it point at one writable reel_restore_options.
            if (options == null) throw new NativeArgumentException("options is NULL");
            // The defaults are the engine's own, so C callers get what `reel restore` does.
            var defaults = new RestoreOptions();
            *options = new NativeRestoreOptions
            {
                Temperature = defaults.Temperature,
                Stabilize = defaults.Stabilize ? 1 : 0,
                // The mode, and so the prior's defaults, is known only when a colorizer is or is not given.
                Epochs = 0,
                Irt = -1,
                MemoryMb = (int)Math.Min(int.MaxValue, defaults.MemoryBudgetBytes >> 20),
            };
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    /// <summary>
    /// reel_restore_job_init as a 0.3 program calls it (from 0.4 reel.h makes that name a macro for the sized one): its
    /// struct ends before save_every_s, so only that much is filled. Filling this library's whole struct wrote past the
    /// caller's object, on its stack.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "reel_restore_job_init")]
    private static int RestoreJobInit(NativeRestoreJob* job) => InitJob(job, Abi3JobSize);

    [UnmanagedCallersOnly(EntryPoint = "reel_restore_job_init_sized")]
    private static int RestoreJobInitSized(NativeRestoreJob* job, int size) => InitJob(job, size);

    /// <summary>Fills the first <paramref name="size"/> bytes of the caller's job with the defaults, its size field with <paramref name="size"/>.</summary>
    private static int InitJob(NativeRestoreJob* job, int size)
    {
        NativeErrors.Clear();
        try
        {
            if (job == null) throw new NativeArgumentException("job is NULL");
            if (size != sizeof(NativeRestoreJob) && size != Abi3JobSize)
                throw new NativeArgumentException($"size {size} is not the size of a reel_restore_job of any reel.h ({Abi3JobSize} for 0.3, {sizeof(NativeRestoreJob)} for 0.4)");
            var defaults = JobDefaults() with { Size = size };
            // SAFETY: job is not NULL, and reel.h makes it point at a writable reel_restore_job of the size given, one
            // this library knows (checked above): that many bytes are written, no more.
            Buffer.MemoryCopy(&defaults, job, size, size);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
    }

    /// <summary>reel_restore_job_init's values: the engine's own defaults, so C callers get what `reel restore` does.</summary>
    private static NativeRestoreJob JobDefaults() => new()
    {
        Size = sizeof(NativeRestoreJob),
        Deinterlace = (int)NativeDeinterlace.Auto,
        MaxShotFrames = new RestoreOptions().MaxShotFrames,
        FromSeconds = double.NaN,
        ToSeconds = double.NaN,
        Crf = new EncodeSettings().Crf,
        SaveEverySeconds = new StabilizeOptions().SaveEvery.TotalSeconds,
    };

    [UnmanagedCallersOnly(EntryPoint = "reel_video_restore")]
    private static int VideoRestore(nint engine, byte* inputPath, byte* outputPath, NativeRestoreOptions* options)
    {
        var job = JoblessJob();
        return Restore(engine, inputPath, outputPath, options, &job, null, null, jobless: true);
    }

    [UnmanagedCallersOnly(EntryPoint = "reel_video_restore_ex")]
    private static int VideoRestoreEx(nint engine, byte* inputPath, byte* outputPath, NativeRestoreOptions* options,
        delegate* unmanaged<void*, NativeProgress*, int> progress, void* progressUser)
    {
        var job = JoblessJob();
        return Restore(engine, inputPath, outputPath, options, &job, progress, progressUser, jobless: true);
    }

    /// <summary>
    /// What reel_video_restore and reel_video_restore_ex run as: the defaults, resuming. A program written for them
    /// has no way to ask for --resume, so an interrupted restore into the same output (a cancel past the first shot)
    /// refused every later call until someone deleted the work folder; with the same input and options it now goes
    /// on, and with others it is still refused, naming what differs and the folder.
    /// </summary>
    private static NativeRestoreJob JoblessJob() => JobDefaults() with { Resume = 1 };

    [UnmanagedCallersOnly(EntryPoint = "reel_video_restore_job")]
    private static int VideoRestoreJob(nint engine, byte* inputPath, byte* outputPath, NativeRestoreOptions* options, NativeRestoreJob* job,
        delegate* unmanaged<void*, NativeProgress*, int> progress, void* progressUser) =>
        Restore(engine, inputPath, outputPath, options, job, progress, progressUser, jobless: false);

    /// <summary>The prior's settings as reel_restore_options has them (only epochs and irt can be set there; the rest are restore's defaults).</summary>
    private static readonly StabilizeOptions.SettingNames AbiNames = new("epochs", "irt = 0", "the chroma scale", "the width", "the learning rate", "the warm epochs");

    /// <summary>reel_video_restore, reel_video_restore_ex and reel_video_restore_job: the options' callback and, for the latter two, the measured one.</summary>
    /// <param name="jobless">A call without a job (<see cref="JoblessJob"/>): its resuming is implied, so a fresh start is not noted.</param>
    private static int Restore(nint engine, byte* inputPath, byte* outputPath, NativeRestoreOptions* options, NativeRestoreJob* job,
        delegate* unmanaged<void*, NativeProgress*, int> progressEx, void* progressExUser, bool jobless)
    {
        NativeErrors.Clear();
        nint? childSignal = null;
        try
        {
            var owner = NativeHandles.Get<NativeEngine>(engine, "reel_engine");
            string input = PathArgument(inputPath, "input_path"), output = PathArgument(outputPath, "output_path");
            childSignal = ChildSignal.RefuseUnseeable();
            // SAFETY: options is checked for NULL and copied once, so a caller changing it during the restore changes nothing here.
            if (options == null) throw new NativeArgumentException("options is NULL (start from reel_restore_options_init)");
            var o = *options;
            var j = ReadJob(job);
            if (!File.Exists(input) && !Directory.Exists(input)) throw new FileNotFoundException($"input not found: {input}");
            // A link to the input too: refused later by the restore as REEL_E_FAILED, where the same path was REEL_E_INVALID_ARG.
            if (Path.GetFullPath(input) == Path.GetFullPath(output) || FileIdentity.Same(input, output))
                throw new NativeArgumentException("output would overwrite the input; choose another path");
            // Checked here, not only by the sink after the first frame is done, so it fails fast and as REEL_E_IO.
            var outputDir = Path.GetDirectoryName(Path.GetFullPath(output))!;
            if (!Directory.Exists(outputDir)) throw new DirectoryNotFoundException($"output folder does not exist: {outputDir}");
            var denoiser = RestoreModel(o.Denoiser, engine, NativeModelKind.Denoiser);
            var colorizer = RestoreModel(o.Colorizer, engine, NativeModelKind.Colorizer);
            // An int standing for three choices: any other value is a caller's mistake, not "IRT" as non-zero would read it;
            // checked before the prior's own rules, which would refuse it only in some runs and in words about IRT.
            if (o.Irt is < -1 or > 1) throw new NativeArgumentException($"irt {o.Irt} is not -1 (the run's default), 0 (plain L1) or 1 (iteratively reweighted)");
            // As `reel restore`: chroma mode de-flickers colorization; without it the prior works on RGB.
            if (!(j.SaveEverySeconds >= 0 && j.SaveEverySeconds <= TimeSpan.MaxValue.TotalSeconds))
                throw new NativeArgumentException($"job.save_every_s must be ≥ 0 seconds (0: after every training step), got {j.SaveEverySeconds}");
            var prior = StabilizeOptions.For(colorizer is null ? StabilizeMode.Rgb : StabilizeMode.Chroma,
                o.Epochs == 0 ? null : o.Epochs, o.Irt < 0 ? null : o.Irt != 0) with { SaveEvery = TimeSpan.FromSeconds(j.SaveEverySeconds) };
            // Refused here as REEL_E_INVALID_ARG, in the C fields' own names; the run would refuse them later as a plain engine error.
            if (o.Stabilize != 0)
            {
                try
                {
                    prior.Validate(AbiNames);
                }
                catch (ReelException e)
                {
                    throw new NativeArgumentException(e.Message);
                }
            }
            if (o.MemoryMb < 1) throw new NativeArgumentException($"memory_mb must be ≥ 1, got {o.MemoryMb}");
            if (colorizer is not null) CheckTemperature(o.Temperature);

            if (j.MaxShotFrames < 1) throw new NativeArgumentException($"job.max_shot_frames must be ≥ 1, got {j.MaxShotFrames}");
            // In the fields' own names, as REEL_E_INVALID_ARG: an empty encoder reached ffmpeg ("Unknown encoder ''"), a crf
            // out of range was clamped, and a frame rate was checked only for a folder's input (as REEL_E_FAILED).
            string? encoder = Utf8(j.Encoder, "job.encoder"), preset = Utf8(j.Preset, "job.preset");
            if (encoder is { Length: 0 }) throw new NativeArgumentException("job.encoder is empty: NULL gives the output's usual encoder");
            if (preset is { Length: 0 }) throw new NativeArgumentException("job.preset is empty: NULL gives medium");
            var encode = new EncodeSettings { Codec = encoder, Crf = j.Crf, Preset = preset ?? new EncodeSettings().Preset };
            if (encode.For(output) is var chosen && chosen.CrfOutOfRange() is { } crfRange)
                throw new NativeArgumentException($"job.crf {j.Crf}: {chosen.Codec} takes {crfRange}");
            string? frameRate = Utf8(j.FrameRate, "job.frame_rate");
            if (frameRate is not null && !(Rational.TryParse(frameRate, out var rateNum, out var rateDen) && rateNum > 0 && rateDen > 0))
                throw new NativeArgumentException($"job.frame_rate '{frameRate}' is not a positive rate (24, 24000/1001)");
            var restore = new RestoreOptions
            {
                Denoiser = denoiser?.Denoiser,
                Colorizer = colorizer?.Colorizer,
                Temperature = o.Temperature,
                Stabilize = o.Stabilize != 0,
                Prior = prior,
                MemoryBudgetBytes = o.MemoryMb * (1L << 20),
                Resume = j.Resume != 0,
                NoteFreshStart = !jobless,
                Deinterlace = (NativeDeinterlace)j.Deinterlace switch
                {
                    NativeDeinterlace.Auto => Deinterlace.Auto,
                    NativeDeinterlace.All => Deinterlace.All,
                    NativeDeinterlace.Off => Deinterlace.Off,
                    NativeDeinterlace.Ivtc => Deinterlace.Ivtc,
                    _ => throw new NativeArgumentException($"job.deinterlace {j.Deinterlace} is not a reel_deinterlace (0 auto, 1 all, 2 off, 3 ivtc)"),
                },
                MaxShotFrames = j.MaxShotFrames,
                Range = Range(j.FromSeconds, j.ToSeconds),
                Encode = encode,
                Strict = j.Strict != 0,
                FolderFrameRate = frameRate ?? FrameSource.DefaultFolderRate,
            };
            using var cancel = new CancellationTokenSource();
            var progress = o.Progress == null && progressEx == null ? null
                : ProgressRelay((nint)o.Progress, (nint)o.ProgressUser, (nint)progressEx, (nint)progressExUser, cancel);
            // Denoiser before colorizer, always: frame calls hold one gate, so no two callers wait on each other in a cycle.
            lock (denoiser?.Gate ?? new object())
            lock (colorizer?.Gate ?? new object())
                RestorePipeline.Run(input, output, restore, owner.Backend, progress, cancel.Token);
            // The callbacks may have made reel_ calls of their own on this thread, failing ones leaving their message;
            // reel.h promises "" after REEL_OK.
            NativeErrors.Clear();
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.Report(e);
        }
        finally
        {
            // Only after a call that got past the check: before it, what is in place may be the host's own handler.
            if (childSignal is { } before) ChildSignal.Remember(before);
            // A host lives on after the restore: its frames and the prior's tensors are garbage now, most on the large-object
            // heap, which the runtime neither collected nor compacted between calls, so RSS climbed 3-4x over repeated restores.
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect();
        }
    }

    /// <summary>The size of reel_restore_job in a program built against reel.h 0.3 (ABI 3): everything before save_every_s.</summary>
    private static int Abi3JobSize
    {
        get
        {
            NativeRestoreJob j = default;
            return (int)((byte*)&j.SaveEverySeconds - (byte*)&j);
        }
    }

    /// <summary>
    /// The caller's reel_restore_job, copied once (a caller changing it during the restore changes nothing
    /// here), or the defaults for NULL; refused unless its size is one a reel.h had. A 0.3 program's struct
    /// ends before save_every_s, which keeps its default (reel.h promises older programs keep working).
    /// </summary>
    private static NativeRestoreJob ReadJob(NativeRestoreJob* job)
    {
        if (job == null) return JobDefaults();
        // SAFETY: job is not NULL, and reel.h makes it point at a reel_restore_job of job->size bytes; only the
        // int at its start is read before that size is checked to be one a reel.h had, and only that many bytes after it.
        int size = job->Size;
        if (size > sizeof(NativeRestoreJob))
            throw new NativeArgumentException($"job.size is {size} bytes, a reel_restore_job newer than this libreel.so (0.4.0, {sizeof(NativeRestoreJob)} bytes) knows; " +
                                              "run with the libreel.so of the reel.h the program was built with");
        if (size != sizeof(NativeRestoreJob) && size != Abi3JobSize)
            throw new NativeArgumentException($"job.size is {size}, not the size of a reel_restore_job of any reel.h ({Abi3JobSize} for 0.3, " +
                                              $"{sizeof(NativeRestoreJob)} for 0.4): start from reel_restore_job_init");
        var read = JobDefaults();
        Buffer.MemoryCopy(job, &read, sizeof(NativeRestoreJob), size);
        return read;
    }

    /// <summary>from_s and to_s as a range (NaN: the start or the end), refused in those fields' names where <see cref="TimeRange"/> would refuse them.</summary>
    private static TimeRange? Range(double from, double to)
    {
        if (double.IsNaN(from) && double.IsNaN(to)) return null;
        static TimeSpan? At(double seconds, string field) => double.IsNaN(seconds) ? null
            : seconds is >= 0 and <= TimeRange.LongestSeconds ? TimeRange.Time(seconds)
            : throw new NativeArgumentException($"job.{field} must be NAN or from 0 to a year of seconds, got {seconds}");
        var range = new TimeRange(At(from, "from_s"), At(to, "to_s"));
        if (range.IsEmpty)
            throw new NativeArgumentException(double.IsNaN(from) ? $"job.to_s {to} is not after the start" : $"job.to_s {to} is not after job.from_s {from}");
        return range;
    }

    /// <summary>
    /// Forwards pipeline progress to the C callbacks (either may be 0) on the calling thread; a
    /// non-zero return cancels the restore, after which neither is called again.
    /// </summary>
    private static Action<RestoreProgress> ProgressRelay(nint callback, nint user, nint callbackEx, nint userEx, CancellationTokenSource cancel)
    {
        var stageNames = new Dictionary<string, byte[]>();
        return p =>
        {
            if (cancel.IsCancellationRequested) return;
            if (!stageNames.TryGetValue(p.Stage, out var utf8))
                stageNames[p.Stage] = utf8 = Encoding.UTF8.GetBytes(p.Stage + "\0");
            int verdict = 0;
            // SAFETY: the callbacks are the caller's functions of reel.h's types (0 ones are skipped); the stage and detail
            // strings are NUL-terminated arrays pinned for the calls, and report lives on this frame until the call returns.
            fixed (byte* stage = utf8)
            {
                if (callback != 0)
                    verdict = ((delegate* unmanaged<void*, byte*, long, long, int>)callback)((void*)user, stage, p.Done, p.Total);
                if (verdict == 0 && callbackEx != 0)
                {
                    fixed (byte* detail = Encoding.UTF8.GetBytes(p.Detail + "\0"))
                    {
                        var report = new NativeProgress
                        {
                            Size = sizeof(NativeProgress),
                            Shot = p.Shot ?? 0,
                            Epoch = p.Epoch ?? 0,
                            Epochs = p.Epochs ?? 0,
                            Stage = stage,
                            Detail = detail,
                            Done = p.Done,
                            Total = p.Total,
                            Rate = p.Rate ?? double.NaN,
                            EtaSeconds = p.EtaSeconds ?? double.NaN,
                            Loss = p.Loss ?? double.NaN,
                            ElapsedSeconds = p.Elapsed.TotalSeconds,
                        };
                        verdict = ((delegate* unmanaged<void*, NativeProgress*, int>)callbackEx)((void*)userEx, &report);
                    }
                }
            }
            if (verdict != 0) cancel.Cancel();
        };
    }

    private static NativeModel? RestoreModel(nint handle, nint engine, NativeModelKind kind)
    {
        if (handle == 0) return null;
        string field = kind == NativeModelKind.Denoiser ? "denoiser" : "colorizer";
        var m = NativeHandles.Get<NativeModel>(handle, "reel_model");
        if (m.Kind != kind) throw new NativeArgumentException($"options.{field} is a {m.Kind.ToString().ToLowerInvariant()}, not a {field}");
        if (m.Engine != engine) throw new NativeArgumentException($"options.{field} was loaded through another reel_engine");
        return m;
    }

    private static void CheckTemperature(float t)
    {
        if (!(t > 0) || !float.IsFinite(t)) throw new NativeArgumentException($"temperature must be a positive number, got {t}");
    }

    /// <summary>The address of a u8 literal: the compiler stores it in the image's read-only data, where it never moves.</summary>
    // SAFETY: every literal passed ends in \0, so C reads a terminated string from memory that is never freed or moved.
    private static byte* Static(ReadOnlySpan<byte> literal) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(literal));

    /// <summary>Refuses invalid UTF-8 instead of replacing it with U+FFFD, which made a path name another file.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A path argument: NULL, an empty string (which .NET's path calls reject as an internal error) and invalid UTF-8 are refused in <paramref name="field"/>'s name.</summary>
    private static string PathArgument(byte* s, string field)
    {
        var path = Utf8(s, field) ?? throw new NativeArgumentException($"{field} is NULL");
        return path.Length > 0 ? path : throw new NativeArgumentException($"{field} is empty");
    }

    /// <summary>The string, or null for NULL; invalid UTF-8 is refused in <paramref name="field"/>'s name.</summary>
    // SAFETY: s is NULL or, as reel.h makes it, a NUL-terminated string the caller owns for the call.
    private static string? Utf8(byte* s, string field)
    {
        if (s == null) return null;
        var bytes = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(s);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new NativeArgumentException($"{field} is not valid UTF-8: {Escaped(bytes)}; reel.h takes every string and path as UTF-8");
        }
    }

    /// <summary>The bytes as text, each byte that is not part of a valid UTF-8 sequence as \xNN, so a message shows where it is.</summary>
    private static string Escaped(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out int used);
            if (status == OperationStatus.Done) text.Append(rune.ToString());
            else
                foreach (var b in bytes[..used])
                    text.Append($"\\x{b:X2}");
            bytes = bytes[used..];
        }
        return text.ToString();
    }

    private static string Name(PixelFormat f) => f == PixelFormat.Gray8 ? "REEL_PIXEL_GRAY8" : "REEL_PIXEL_RGB24";

    // SAFETY: only frames NativeFrames.Check accepted are described.
    private static string Describe(NativeFrame* f) => $"{f->Width}×{f->Height} {Name(f->Format == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24)}";
}
