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
        var device = new Option<string>("--device") { Description = "cpu | cuda", DefaultValueFactory = _ => "cpu" };
        device.AcceptOnlyFromAmong("cpu", "cuda");
        var weights = new Option<string>("--weights", "-w") { Description = "Checkpoint to load instead of random weights (dncnn, colorizer, unet)" };
        var runs = new Option<int>("--runs") { Description = "Timed runs (the median is reported)", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first (JIT, plans, caches)", DefaultValueFactory = _ => 2 };
        var path = new Option<string>("--conv-path") { Description = "Force a convolution algorithm where it applies: auto | implicit | im2col | winograd4 (= winograd) | winograd2", DefaultValueFactory = _ => "auto" };
        path.AcceptOnlyFromAmong("auto", "implicit", "im2col", "winograd", "winograd4", "winograd2");
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line (median_ms, per-layer list, …)" };
        var peak = new Option<bool>("--peak") { Description = "Measure the FMA peak (GFLOP/s) on one thread and on all cores" };
        var cmd = new Command("bench", "Time a network on the CPU: per-layer table (ms, GFLOP/s), median of repeated runs after warm-up.")
            { model, size, device, weights, runs, warmup, path, json, peak };
        cmd.SetAction(r => CliRunner.Run(() =>
        {
            bool asJson = r.GetValue(json);
            if (r.GetValue(peak)) return Peak(asJson);
            string name = r.GetValue(model) ?? throw new ReelException("give --model dncnn|colorizer|unet (or --peak)");
            var (h, w) = ParseSize(r.GetValue(size)!);
            int timed = r.GetValue(runs), warm = r.GetValue(warmup);
            if (timed < 1 || warm < 0) throw new ReelException("--runs must be ≥ 1 and --warmup ≥ 0");
            var convPath = r.GetValue(path) switch
            {
                "implicit" => ConvPath.ImplicitGemm,
                "im2col" => ConvPath.Im2Col,
                "winograd" or "winograd4" => ConvPath.WinogradF4,
                "winograd2" => ConvPath.WinogradF2,
                _ => ConvPath.Auto,
            };
            var fast = new FastBackend(convPath);
            // Training runs the precise plan (PriorTrainer does the same for an unwrapped backend).
            bool training = name == "unet";
            IBackend cpu = training ? fast.ForTraining() : fast;
            // cuda without a usable GPU is a one-line error that says what is missing.
            var backend = r.GetValue(device) == "cuda" ? DeviceChoice.Resolve("cuda", cpu) : cpu;
            var profiler = new ProfilingBackend(backend);
            var (run, phases) = Build(name, h, w, r.GetValue(weights), profiler);
            Report(name, h, w, convPath, training, run, phases, profiler, timed, warm, asJson, r.GetValue(device)!);
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
        throw new ReelException($"--size must be HxW with positive integers, e.g. 256x256; got '{s}'");
    }

    /// <summary>The body to time: one forward (or one training step, with where its time went) on a fixed random input.</summary>
    private static (Action Run, Func<StepProfile>? Phases) Build(string name, int h, int w, string? weightsPath, IBackend backend)
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
            case "dncnn":
            {
                var net = DnCnn.FromWeights(weightsPath is null ? RandomDnCnn(rng) : CheckpointLoader.Load(weightsPath), backend);
                var x = Rand(new Shape(1, net.Channels, h, w), 0, 1);
                return (() => net.Forward(x), null);
            }
            case "colorizer":
            {
                if (h % 8 != 0 || w % 8 != 0) throw new ReelException($"the colorizer needs a size that is a multiple of 8, got {h}x{w}");
                var net = Colorizer.FromWeights(weightsPath is null ? RandomColorizer(rng) : CheckpointLoader.Load(weightsPath), backend);
                var l = Rand(new Shape(1, 1, h, w), 0, 100);
                return (() => net.Forward(l), null);
            }
            default:
            {
                if (h % VideoPrior.SizeMultiple != 0 || w % VideoPrior.SizeMultiple != 0)
                    throw new ReelException($"the U-Net step needs a size that is a multiple of {VideoPrior.SizeMultiple}, got {h}x{w}");
                var net = weightsPath is null ? VideoPrior.Create(32, 6, seed: 7) : VideoPrior.Load(weightsPath);
                var trainer = new PriorTrainer(net, backend);
                var input = Rand(new Shape(1, 3, h, w), 0, 1);
                var processed = Rand(new Shape(1, 3, h, w), 0, 1);
                var kind = net.OutChannels == 6 ? PriorLossKind.Irt : PriorLossKind.L1;
                return (() => trainer.Step(kind, input, processed, h, w), () => trainer.LastProfile);
            }
        }
    }

    /// <summary>DnCNN-B gray in the KAIR layout: 20 convs 1→64→…→64→1, He-normal weights, zero bias.</summary>
    private static WeightMap RandomDnCnn(Random rng)
    {
        var w = new WeightMap("random DnCNN-B");
        for (int i = 0; i < 20; i++)
        {
            int cin = i == 0 ? 1 : 64, cout = i == 19 ? 1 : 64;
            w.Add($"model.{2 * i}.weight", He(rng, new Shape(cout, cin, 3, 3)));
            w.Add($"model.{2 * i}.bias", new Tensor(new Shape(cout)));
        }
        return w;
    }

    /// <summary>ECCV16 in the official port's key layout: He-normal convs, neutral BatchNorm, random projection.</summary>
    private static WeightMap RandomColorizer(Random rng)
    {
        var w = new WeightMap("random ECCV16");
        void Conv(string key, int cin, int cout, int k)
        {
            w.Add(key + ".weight", He(rng, new Shape(cout, cin, k, k)));
            w.Add(key + ".bias", new Tensor(new Shape(cout)));
        }
        void Bn(string key, int c)
        {
            var one = new Tensor(new Shape(c));
            Array.Fill(one.Data, 1f);
            w.Add(key + ".weight", one);
            w.Add(key + ".bias", new Tensor(new Shape(c)));
            w.Add(key + ".running_mean", new Tensor(new Shape(c)));
            w.Add(key + ".running_var", one);
        }
        var blocks = new[] { (1, 2, 1, 64), (2, 2, 64, 128), (3, 3, 128, 256), (4, 3, 256, 512), (5, 3, 512, 512), (6, 3, 512, 512), (7, 3, 512, 512) };
        foreach (var (block, convs, cin, width) in blocks)
        {
            for (int i = 0; i < convs; i++) Conv($"model{block}.{2 * i}", i == 0 ? cin : width, width, 3);
            Bn($"model{block}.{2 * convs}", width);
        }
        w.Add("model8.0.weight", He(rng, new Shape(512, 256, 4, 4), fanIn: 512 * 4));
        w.Add("model8.0.bias", new Tensor(new Shape(256)));
        Conv("model8.2", 256, 256, 3);
        Conv("model8.4", 256, 256, 3);
        Conv("model8.6", 256, Colorizer.Bins, 1);
        w.Add("model_out.weight", He(rng, new Shape(2, Colorizer.Bins, 1, 1)));
        return w;
    }

    private static Tensor He(Random rng, Shape s, int fanIn = 0)
    {
        if (fanIn == 0) fanIn = s[1] * s[2] * s[3];
        double std = Math.Sqrt(2.0 / fanIn);
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            t.Data[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return t;
    }

    private sealed record Layer(string Name, string Input, double Ms, double Gflops, string Path);

    private static void Report(string name, int h, int w, ConvPath forced, bool precise, Action run, Func<StepProfile>? phases,
        ProfilingBackend profiler, int runs, int warmup, bool asJson, string device)
    {
        var steps = new List<StepProfile>();
        for (int i = 0; i < warmup; i++) run();
        var totals = new double[runs];
        var perCall = new List<double>[0];
        IReadOnlyList<OpTiming> shape = Array.Empty<OpTiming>();
        long allocated = 0;
        for (int i = 0; i < runs; i++)
        {
            profiler.Clear();
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            run();
            totals[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
            if (phases is not null) steps.Add(phases());
            var calls = profiler.Calls;
            if (i == 0)
            {
                shape = calls.ToArray();
                perCall = calls.Select(_ => new List<double>()).ToArray();
            }
            for (int c = 0; c < Math.Min(calls.Count, perCall.Length); c++) perCall[c].Add(calls[c].Ms);
        }
        double median = Median(totals);
        var layers = new List<Layer>();
        for (int c = 0; c < shape.Count; c++)
        {
            var t = shape[c];
            double ms = Median(perCall[c].ToArray());
            string path = t.Op is Conv2dOp conv ? ConvPlan.Choose(conv, forced, precise).ToString() : t.Op is ConvTranspose2dOp ? "gemm+col2im" : "";
            layers.Add(new Layer(Describe(t.Op), $"{t.Input.C}×{t.Input.H}×{t.Input.W}", ms, t.Flops / ms / 1e6, path));
        }
        double flops = shape.Sum(t => t.Flops);
        if (steps.Count > 0)
        {
            // Every conv has a weight gradient of the forward's FLOPs; all but the first an input gradient too.
            double first = shape.FirstOrDefault(t => t.Flops > 0).Flops;
            double Phase(Func<StepProfile, double> f) => Median(steps.Select(f).ToArray());
            double dw = Phase(p => p.WeightGradients), dx = Phase(p => p.InputGradients);
            layers.Add(new Layer("loss and its gradient", "", Phase(p => p.Loss), 0, ""));
            layers.Add(new Layer("backward: ∂W of every conv", "", dw, flops / dw / 1e6, "dot products"));
            layers.Add(new Layer("backward: ∂x of every conv but the first", "", dx, (flops - first) / dx / 1e6, "ImplicitGemm"));
            layers.Add(new Layer("backward: relu, pool, resize, concat", "", Phase(p => p.OtherBackward), 0, ""));
            layers.Add(new Layer("Adam", "", Phase(p => p.Adam), 0, ""));
        }
        double profiled = layers.Sum(l => l.Ms);
        layers.Add(new Layer("between ops (checks, allocation)", "", Math.Max(0, median - profiled), 0, ""));
        int threads = Environment.ProcessorCount;

        Console.WriteLine($"reel bench: {name} {h}x{w} on cpu ({threads} threads, conv path {forced}), {warmup} warm-up + {runs} runs");
        Console.WriteLine($"{"#",3}  {"layer",-44} {"input",-14} {"path",-12} {"ms",9} {"GFLOP/s",8}");
        for (int i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            Console.WriteLine($"{i + 1,3}  {l.Name,-44} {l.Input,-14} {l.Path,-12} {l.Ms,9:F2} {(l.Gflops > 0 ? l.Gflops.ToString("F1", CultureInfo.InvariantCulture) : ""),8}");
        }
        Console.WriteLine($"median {median:F1} ms (min {totals.Min():F1}, max {totals.Max():F1}); forward convs {flops / 1e9:F2} GFLOP" +
                          (name == "unet" ? "" : $" → {flops / median / 1e6:F1} GFLOP/s") + $"; {allocated / 1024.0 / 1024.0:F1} MiB allocated per run");
        if (asJson)
        {
            var report = new BenchReport(name, $"{h}x{w}", device, threads, forced.ToString(), runs, warmup,
                Math.Round(median, 3), Math.Round(totals.Min(), 3), totals.Select(t => Math.Round(t, 3)).ToArray(),
                Math.Round(flops / 1e9, 4), Math.Round(flops / median / 1e6, 2), allocated,
                layers.Select(l => new BenchLayer(l.Name, l.Input, l.Path, Math.Round(l.Ms, 4), Math.Round(l.Gflops, 2))).ToArray());
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
        Console.WriteLine($"the SGEMM kernels use {(FmaPeak.GemmUsesAvx512 ? "AVX-512 (8×32 tiles)" : "AVX2 (6×16 tiles)")}; DOTNET_EnableAVX512F=0 forces AVX2");
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

    private static double Median(double[] v)
    {
        if (v.Length == 0) return 0;
        var s = v.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
