using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Reel.Engine;
using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Checkpoints;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel bench`: times one network (DnCNN forward, ECCV16 forward, or one U-Net training step)
/// after warm-up, prints a per-layer table (median ms, GFLOP/s) and, with --json, one JSON
/// object as the last line. Random weights of the standard architecture unless --weights is
/// given. `--peak` measures the FMA peak the GFLOP/s compare with.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "dncnn (DnCNN-B gray, 20 layers) | colorizer (ECCV16) | unet (one DVP training step, width 32, 6 outputs)" };
        model.AcceptOnlyFromAmong("dncnn", "colorizer", "unet");
        var size = new Option<string>("--size") { Description = "Frame size HxW", DefaultValueFactory = _ => "256x256" };
        var device = new Option<string>("--device") { Description = "cpu | auto (CUDA where usable, else the CPU, saying why) | cuda | emu (the CUDA code path on the emulated device)", DefaultValueFactory = _ => "cpu" };
        device.AcceptOnlyFromAmong("cpu", "auto", "cuda", "emu");
        var precision = DeviceChoice.PrecisionOption();
        var weights = new Option<string>("--weights", "-w") { Description = "Checkpoint to load instead of random weights (dncnn, colorizer, unet)" };
        var runs = new Option<int>("--runs") { Description = "Timed runs (the median is reported)", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first (JIT, plans, caches)", DefaultValueFactory = _ => 2 };
        var path = new Option<string>("--conv-path") { Description = "Force a convolution algorithm where it applies: auto | implicit | im2col | winograd4 (= winograd) | winograd2", DefaultValueFactory = _ => "auto" };
        path.AcceptOnlyFromAmong("auto", "implicit", "im2col", "winograd", "winograd4", "winograd2");
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line (median_ms, per-layer list, …)" };
        var peak = new Option<bool>("--peak") { Description = "Measure the FMA peak (GFLOP/s) on one thread and on all cores" };
        var cmd = new Command("bench", "Time a network (on the CPU unless --device says otherwise): per-layer table (ms, GFLOP/s), median of repeated runs after warm-up.")
            { model, size, device, precision, weights, runs, warmup, path, json, peak };
        cmd.SetAction(r => CliRunner.Run(() =>
        {
            bool asJson = r.GetValue(json);
            if (r.GetValue(peak))
            {
                // The peak is the CPU's own, one loop of FMAs: a network, size or device given with it would be dropped unseen.
                var dropped = GivenOptions.Names(r, [model, size, device, precision, weights, runs, warmup, path]).Where(n => n != "--device" || r.GetValue(device) != "cpu").ToList();
                if (dropped.Count > 0) throw new UsageException($"--peak measures this CPU's FMA peak alone; run it without {string.Join(", ", dropped)}");
                return Peak(asJson);
            }
            string name = r.GetValue(model) ?? throw new UsageException("give --model dncnn|colorizer|unet (or --peak)");
            var (h, w) = ParseSize(r.GetValue(size)!);
            int timed = r.GetValue(runs), warm = r.GetValue(warmup);
            if (timed < 1 || warm < 0) throw new UsageException("--runs must be ≥ 1 and --warmup ≥ 0");
            var convPath = r.GetValue(path) switch
            {
                "implicit" => ConvPath.ImplicitGemm,
                "im2col" => ConvPath.Im2Col,
                "winograd" or "winograd4" => ConvPath.WinogradF4,
                "winograd2" => ConvPath.WinogradF2,
                _ => ConvPath.Auto,
            };
            var fast = new FastBackend(convPath);
            // Training plans its convs per step (PriorTrainer does the same for an unwrapped backend).
            bool training = name == "unet";
            IBackend cpu = training ? fast.ForTraining() : fast;
            // cuda without a usable GPU is a one-line error that says what is missing.
            var backend = DeviceChoice.Resolve(r.GetValue(device)!, cpu, r.GetValue(precision));
            using var deviceMemory = backend as IDisposable;
            // On a device cuDNN picks the algorithms: the banner and the JSON named a CPU path that never ran (auto, the default, names none).
            if (!ReferenceEquals(backend, cpu) && convPath != ConvPath.Auto)
                GivenOptions.RefuseUnused(r, [path], "it chooses the CPU's convolution algorithm, and on the device cuDNN chooses (see --precision)");
            var profiler = new ProfilingBackend(backend);
            var run = Build(name, h, w, r.GetValue(weights), profiler);
            // The device timed, as auto chose it.
            Report(name, h, w, convPath, run, () => Build(name, h, w, r.GetValue(weights), backend), profiler, timed, warm, asJson,
                r.GetValue(device) == "auto" ? backend.Name : r.GetValue(device)!);
            return 0;
        }));
        return cmd;
    }

    private static (int H, int W) ParseSize(string s)
    {
        var parts = s.ToLowerInvariant().Split('x', '×');
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int h) &&
            int.TryParse(parts[1], CultureInfo.InvariantCulture, out int w) && h > 0 && w > 0 && h <= 16384 && w <= 16384)
            return (h, w);
        throw new UsageException($"--size must be HxW with whole numbers from 1 to 16384, e.g. 256x256; got '{s}'");
    }

    /// <summary>The body to time: one forward (or one training step) on a fixed random input, the models kept for the process's life.</summary>
    private static Action Build(string name, int h, int w, string? weightsPath, IBackend backend)
    {
        var rng = new Random(7);
        Tensor Rand(Shape s, float lo, float hi)
        {
            var t = new Tensor(s);
            for (int i = 0; i < t.Length; i++) t.Data[i] = lo + (hi - lo) * (float)rng.NextDouble();
            return t;
        }
        switch (name)
        {
            // The input lives where the backend computes; a run ends when the device has finished it.
            case "dncnn":
            {
                var net = DnCnn.FromWeights(weightsPath is null ? RandomWeights.DnCnnB(rng) : CheckpointLoader.Load(weightsPath), backend);
                var x = backend.Import(Rand(new Shape(1, net.Channels, h, w), 0, 1));
                return () =>
                {
                    using var y = net.Forward(x);
                    backend.Synchronize();
                };
            }
            case "colorizer":
            {
                if (h % 8 != 0 || w % 8 != 0) throw new UsageException($"the colorizer needs a size that is a multiple of 8, got {h}x{w}");
                var net = Colorizer.FromWeights(weightsPath is null ? RandomWeights.Eccv16(rng) : CheckpointLoader.Load(weightsPath), backend);
                var l = backend.Import(Rand(new Shape(1, 1, h, w), 0, 100));
                return () =>
                {
                    using var ab = net.Forward(l);
                    backend.Synchronize();
                };
            }
            default:
            {
                // What the network takes, as `reel infer` does; a restore pads its frames further, to VideoPrior.SizeMultiple.
                if (h % VideoPrior.NetworkMultiple != 0 || w % VideoPrior.NetworkMultiple != 0)
                    throw new UsageException($"the U-Net step needs a size that is a multiple of {VideoPrior.NetworkMultiple}, got {h}x{w}");
                var net = weightsPath is null ? VideoPrior.Create(32, 6, seed: 7) : VideoPrior.Load(weightsPath);
                net.MoveTo(backend);
                var trainer = new PriorTrainer(net, backend);
                var input = backend.Import(Rand(new Shape(1, 3, h, w), 0, 1));
                var processed = backend.Import(Rand(new Shape(1, 3, h, w), 0, 1));
                var kind = net.OutChannels == 6 ? PriorLossKind.Irt : PriorLossKind.L1;
                return () => trainer.Step(kind, input, processed, h, w);
            }
        }
    }


    /// <summary>A table row: GB/s is the least traffic of its ops (activations in, output out, once) over its time.</summary>
    private sealed record Layer(string Name, string Input, double Ms, double Gflops, string Path, double Gbps = 0);

    /// <summary>
    /// <paramref name="v"/> to 4 significant digits: a layer's figures span microseconds to seconds and 0.01 to
    /// thousands of GB/s, and a fixed number of decimals rounded a tiny layer on a busy machine to 0 GB/s.
    /// </summary>
    private static double Significant(double v)
    {
        if (v == 0 || !double.IsFinite(v)) return v;
        int decimals = 3 - (int)Math.Floor(Math.Log10(Math.Abs(v)));
        return Math.Round(v, Math.Clamp(decimals, 0, 15));
    }

    /// <summary>The rows a training step's backward ops are summed into, in the order the table shows them.</summary>
    private static readonly (string Name, Func<Op, bool> Has)[] BackwardRows =
    {
        ("loss and its gradient", op => op is PriorLossOp or PriorLossBackwardOp),
        ("backward: ∂W and ∂b of every conv", op => op is Conv2dBackwardWeightOp or Conv2dBackwardBiasOp),
        ("backward: ∂x of every conv but the first", op => op is Conv2dBackwardDataOp),
        ("backward: relu, pool, resize, concat", op => op is ReluBackwardOp or MaxPool2dBackwardOp or ResizeBilinearBackwardOp or SliceChannelsOp or AddOp),
        ("Adam", op => op is AdamStepOp),
    };

    private static bool IsBackward(Op op) => BackwardRows.Any(r => r.Has(op));

    /// <summary>
    /// Untimed runs of the unprofiled net before its timed ones, on top of --warmup: a GPU backend
    /// captures repeated work after the first run that allocates nothing (a DnCNN or colorizer frame at
    /// its third run, the training step at its fourth: DeviceTrainingTests pins that), and the timed
    /// runs must all be replays.
    /// </summary>
    private const int CaptureRuns = 4;

    private static void Report(string name, int h, int w, ConvPath forced, Action run, Func<Action> unprofiled,
        ProfilingBackend profiler, int runs, int warmup, bool asJson, string device)
    {
        for (int i = 0; i < warmup; i++) run();
        var totals = new double[runs];
        var onDevice = new double?[runs];
        var perCall = new List<double>[0];
        var perRow = BackwardRows.Select(_ => new List<double>()).ToArray();
        var rowFlops = new double[BackwardRows.Length];
        var rowBytes = new double[BackwardRows.Length];
        IReadOnlyList<OpTiming> shape = Array.Empty<OpTiming>();
        long allocated = 0;
        for (int i = 0; i < runs; i++)
        {
            profiler.Clear();
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            onDevice[i] = profiler.TimeOnDevice(run);
            totals[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
            var calls = profiler.Calls.Where(c => !IsBackward(c.Op)).ToArray();
            for (int row = 0; row < BackwardRows.Length; row++)
            {
                var mine = profiler.Calls.Where(c => BackwardRows[row].Has(c.Op)).ToArray();
                perRow[row].Add(mine.Sum(c => c.Ms));
                rowFlops[row] = mine.Sum(c => c.Flops);
                rowBytes[row] = mine.Sum(c => (double)c.Bytes);
            }
            if (i == 0)
            {
                shape = calls;
                perCall = calls.Select(_ => new List<double>()).ToArray();
            }
            for (int c = 0; c < Math.Min(calls.Length, perCall.Length); c++) perCall[c].Add(calls[c].Ms);
        }
        double median = Median(totals);
        // A GPU's own clock (events around each run), beside the host's; null on the CPU.
        double[]? deviceTimes = onDevice.All(t => t.HasValue) ? onDevice.Select(t => t!.Value).ToArray() : null;
        // The profiler runs every op eagerly (its table needs each one), so on a device the same net is
        // built again on the backend itself and timed as a restore runs it: DnCNN's frame, the colorizer's
        // forward and the training step replayed from CUDA graphs, one launch each instead of one per op.
        double[]? restoreTimes = null;
        if (deviceTimes is not null)
        {
            var asRestored = unprofiled();
            for (int i = 0; i < warmup + CaptureRuns; i++) asRestored();
            restoreTimes = Enumerable.Range(0, runs).Select(_ => profiler.TimeOnDevice(asRestored)!.Value).ToArray();
        }
        var layers = new List<Layer>();
        for (int c = 0; c < shape.Count; c++)
        {
            var t = shape[c];
            double ms = Median(perCall[c].ToArray());
            // Asked of the backend once the runs are over: the plans that say how it computed each op are made by then.
            layers.Add(new Layer(Describe(t.Op), $"{t.Input.C}×{t.Input.H}×{t.Input.W}", ms, PerMs(t.Flops, ms), profiler.Describe(t.Op, t.Input), PerMs(t.Bytes, ms)));
        }
        double flops = shape.Sum(t => t.Flops);
        for (int row = 0; row < BackwardRows.Length; row++)
        {
            if (perRow[row].All(ms => ms == 0)) continue;
            double ms = Median(perRow[row].ToArray());
            var paths = profiler.Calls.Where(c => BackwardRows[row].Has(c.Op)).Select(c => profiler.Describe(c.Op, c.Input)).Where(p => p != "").Distinct();
            layers.Add(new Layer(BackwardRows[row].Name, "", ms, PerMs(rowFlops[row], ms), string.Join(", ", paths), PerMs(rowBytes[row], ms)));
        }
        // On a device the layers' times are the device's (marks around each op), so the rest is of the device's time too.
        bool layersOnDevice = shape.Count > 0 && shape[0].OnDevice;
        double profiled = layers.Sum(l => l.Ms);
        layers.Add(new Layer("between ops (checks, allocation)", "", Math.Max(0, (layersOnDevice ? Median(deviceTimes!) : median) - profiled), 0, ""));
        int threads = Environment.ProcessorCount;

        Console.WriteLine($"reel bench: {name} {h}x{w} on {profiler.Name} ({threads} threads, conv path {forced}), {warmup} warm-up + {runs} runs");
        if (layersOnDevice) Console.WriteLine("per-layer times: the device's (events around each op, the host not waiting in between)");
        Console.WriteLine($"{"#",3}  {"layer",-44} {"input",-14} {"path",-22} {"ms",9} {"GFLOP/s",8} {"GB/s",8}");
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            Console.WriteLine($"{i + 1,3}  {l.Name,-44} {l.Input,-14} {l.Path,-22} {l.Ms,9:F2} {(l.Gflops > 0 ? l.Gflops.ToString("F1", CultureInfo.InvariantCulture) : ""),8} " +
                              $"{(l.Gbps > 0 ? l.Gbps.ToString("F1", CultureInfo.InvariantCulture) : ""),8}");
        }
        Console.WriteLine($"median {median:F1} ms (min {totals.Min():F1}, max {totals.Max():F1}); forward convs {flops / 1e9:F2} GFLOP" +
                          (name == "unet" ? "" : $" → {flops / median / 1e6:F1} GFLOP/s") + $"; {allocated / 1024.0 / 1024.0:F1} MiB allocated per run");
        if (deviceTimes is not null)
            Console.WriteLine($"device events: median {Median(deviceTimes):F3} ms (min {deviceTimes.Min():F3}, max {deviceTimes.Max():F3})");
        if (restoreTimes is not null)
            Console.WriteLine($"device events, unprofiled as a restore runs it (graphs replayed): median {Median(restoreTimes):F3} ms (min {restoreTimes.Min():F3}, max {restoreTimes.Max():F3})");
        if (asJson)
        {
            var report = new BenchReport(name, $"{h}x{w}", device, threads, forced.ToString(), runs, warmup,
                Math.Round(median, 3), Math.Round(totals.Min(), 3), Math.Round(totals.Max(), 3), totals.Select(t => Math.Round(t, 3)).ToArray(),
                // A training step's: its forward convs' FLOPs over the whole step's time would be no rate (the plain line gives none).
                Math.Round(flops / 1e9, 4), name == "unet" ? null : Math.Round(flops / median / 1e6, 2), allocated,
                deviceTimes is null ? null : Math.Round(Median(deviceTimes), 4), deviceTimes?.Select(t => Math.Round(t, 4)).ToArray(),
                restoreTimes is null ? null : Math.Round(Median(restoreTimes), 4), restoreTimes?.Select(t => Math.Round(t, 4)).ToArray(),
                layers.Select(l => new BenchLayer(l.Name, l.Input, l.Path, Significant(l.Ms), Significant(l.Gflops), Significant(l.Gbps))).ToArray(),
                layersOnDevice);
            Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Output.BenchReport));
        }
    }

    private static int Peak(bool asJson)
    {
        int threads = Environment.ProcessorCount;
        double avx2One = FmaPeak.Measure(1), avx2All = FmaPeak.Measure(threads);
        Console.WriteLine($"FMA peak (Vector256, register-only): 1 thread {avx2One:F1} GFLOP/s, {threads} threads {avx2All:F1} GFLOP/s");
        double? wideOne = null, wideAll = null;
        if (FmaPeak.GemmUsesAvx512)
        {
            (wideOne, wideAll) = (FmaPeak.Measure(1, wide: true), FmaPeak.Measure(threads, wide: true));
            Console.WriteLine($"FMA peak (Vector512, register-only): 1 thread {wideOne:F1} GFLOP/s, {threads} threads {wideAll:F1} GFLOP/s");
        }
        Console.WriteLine($"the SGEMM kernels use {(FmaPeak.GemmUsesAvx512 ? "AVX-512 (8×32 tiles)" : "AVX2 (6×16 tiles)")}" +
                          // A NativeAOT build chose its instruction set when it was compiled: the variable is the JIT's.
                          (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "; DOTNET_EnableAVX512F=0 forces AVX2" : ""));
        // peak_gflops_*: the width the convolutions run at, what their GFLOP/s compare with.
        double one = wideOne ?? avx2One, all = wideAll ?? avx2All;
        var report = new PeakReport(FmaPeak.GemmUsesAvx512 ? "avx512" : "avx2", threads, Math.Round(avx2One, 2), Math.Round(avx2All, 2),
            wideOne is { } w1 ? Math.Round(w1, 2) : null, wideAll is { } wa ? Math.Round(wa, 2) : null, Math.Round(one, 2), Math.Round(all, 2));
        if (asJson) Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Output.PeakReport));
        return 0;
    }

    private static string Describe(Op op) => op switch
    {
        Conv2dOp c => $"conv {c.InChannels}→{c.OutChannels} {c.KernelH}×{c.KernelW}" +
                      (c.Stride > 1 ? $" s{c.Stride}" : "") + (c.Dilation > 1 ? $" d{c.Dilation}" : "") +
                      (c.Activation == Activation.Relu ? " +relu" : ""),
        ConvTranspose2dOp t => $"conv-transpose {t.InChannels}→{t.OutChannels} {t.Kernel}×{t.Kernel} s{t.Stride}" + (t.Activation == Activation.Relu ? " +relu" : ""),
        AffineOp a => $"affine (BN) {a.Channels}",
        AnnealedMeanOp m => $"annealed mean {m.Bins} bins T={m.Temperature}",
        ResizeBilinearOp r => $"resize → {r.OutH}×{r.OutW}{(r.AlignCorners ? " (align)" : "")}",
        _ => op.GetType().Name.Replace("Op", "", StringComparison.Ordinal).ToLowerInvariant(),
    };

    /// <summary>Giga-units per second of <paramref name="amount"/> done in <paramref name="ms"/>; 0 for an op the clock saw take no time (JSON has no infinity).</summary>
    private static double PerMs(double amount, double ms) => ms > 0 ? amount / ms / 1e6 : 0;

    private static double Median(double[] v)
    {
        if (v.Length == 0) return 0;
        var s = v.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
