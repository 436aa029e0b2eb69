using System.Diagnostics;
using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Engine.Pipeline;

/// <summary>
/// The Deep Video Prior (Lei, Xing, Chen 2020): a U-Net trained on the shot itself to map each
/// input frame to its processed frame. It learns the consistent part of the processing before
/// the flicker, so stopping early gives a temporally stable result. Frames are padded (reflect)
/// to a multiple of 32 and un-padded on output.
/// </summary>
public static class StabilizeStage
{
    public const int IrtInitEpochs = 5;

    /// <summary>Shots of a stored sequence as [start, end) ranges covering every frame (see <see cref="ShotSplitter"/>).</summary>
    public static IReadOnlyList<(int Start, int End)> DetectShots(FrameStore input, int maxFrames = int.MaxValue)
    {
        var splitter = new ShotSplitter(maxFrames);
        var shots = new List<(int, int)>();
        int start = 0;
        for (int t = 0; t < input.Count; t++)
            if (splitter.StartsShot(input[t]))
            {
                shots.Add((start, t));
                start = t;
            }
        shots.Add((start, input.Count));
        return shots;
    }

    /// <summary>Refuses settings no run can use, before any work starts.</summary>
    public static void Validate(StabilizeOptions options)
    {
        if (options.Epochs < 1) throw new ReelException($"--epochs must be ≥ 1, got {options.Epochs}");
        if (options.Irt && options.Epochs <= IrtInitEpochs)
            throw new ReelException($"with IRT the first {IrtInitEpochs} epochs only initialize on frame 0; use more than {IrtInitEpochs} epochs or --no-irt");
        if (options.Mode == StabilizeMode.Chroma && options.ChromaScale < 1)
            throw new ReelException($"the chroma scale must be ≥ 1, got {options.ChromaScale}");
    }

    /// <summary>Trains one prior per shot and emits every stabilized frame (1, 3, H, W) in order.</summary>
    public static void Run(FrameStore input, FrameStore processed, StabilizeOptions options, IBackend backend,
        Action<int, Tensor> emit, Action<StabilizeProgress>? progress = null, CancellationToken cancel = default)
    {
        Validate(options);
        if (input.Count != processed.Count)
            throw new ReelException($"{input.Count} input frames but {processed.Count} processed frames; they must pair one to one");
        var shots = options.SplitShots ? DetectShots(input) : new[] { (0, input.Count) };
        int before = 0;
        for (int s = 0; s < shots.Count; s++)
        {
            var (start, end) = shots[s];
            int done = before;
            RunShot(input, processed, start, end, options, backend, emit,
                p => progress?.Invoke(p with { Shot = s + 1, Shots = shots.Count, Fraction = (done + p.Fraction * (end - start)) / input.Count }),
                cancel, seed: options.Seed + s);
            before += end - start;
        }
    }

    /// <summary>
    /// Trains one prior on frames [start, end) of the stores, one shot, and emits its stabilized
    /// frames in order. Progress fractions are of this shot.
    /// </summary>
    public static void RunShot(FrameStore input, FrameStore processed, int start, int end, StabilizeOptions options, IBackend backend,
        Action<int, Tensor> emit, Action<StabilizeProgress>? progress = null, CancellationToken cancel = default, int? seed = null)
    {
        Validate(options);
        if (input.Count != processed.Count)
            throw new ReelException($"{input.Count} input frames but {processed.Count} processed frames; they must pair one to one");
        for (int t = start; t < end; t += Math.Max(1, end - start - 1))
            if (input[t].Shape.H != processed[t].Shape.H || input[t].Shape.W != processed[t].Shape.W)
                throw new ReelException($"frame {t}: input is {Describe(input[t])} but processed is {Describe(processed[t])}");

        using var chromaInput = options.Mode == StabilizeMode.Chroma ? ToChroma(input, start, end, options, backend) : null;
        using var chromaTarget = options.Mode == StabilizeMode.Chroma ? ToChroma(processed, start, end, options, backend) : null;
        // The chroma stores hold only this shot, from index 0.
        Tensor TrainInput(int t) => chromaInput is null ? input[t] : chromaInput[t - start];
        Tensor TrainTarget(int t) => chromaTarget is null ? processed[t] : chromaTarget[t - start];
        var clock = Stopwatch.StartNew();
        long totalIterations = (long)(end - start) * options.Epochs, done = 0;
        // The weights, gradients and Adam's moments live where the backend computes for the whole shot.
        using var net = VideoPrior.Create(options.Width, options.Irt ? 6 : 3, seed ?? options.Seed);
        net.MoveTo(backend);
        using var trainer = new PriorTrainer(net, backend, options.LearningRate);
        int coarseEpochs = options.CoarseToFine ? options.Epochs * 4 / 5 : 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            bool init = options.Irt && epoch <= IrtInitEpochs;
            var kind = !options.Irt ? PriorLossKind.L1 : init ? PriorLossKind.IrtInit : PriorLossKind.Irt;
            int factor = epoch <= coarseEpochs ? 2 : 1;
            for (int t = start; t < end; t++)
            {
                cancel.ThrowIfCancellationRequested();
                int frame = init ? start : t;
                var (x, validH, validW) = Prepare(TrainInput(frame), factor, backend);
                var (p, _, _) = Prepare(TrainTarget(frame), factor, backend);
                double loss;
                using (x)
                using (p)
                    loss = trainer.Step(kind, x, p, validH, validW);
                done++;
                progress?.Invoke(new StabilizeProgress(1, 1, epoch, options.Epochs, t - start + 1, end - start,
                    loss, (double)done / totalIterations, clock.Elapsed));
            }
        }
        for (int t = start; t < end; t++)
        {
            cancel.ThrowIfCancellationRequested();
            var (x, h, w) = Prepare(TrainInput(t), 1, backend);
            using (x)
            using (var o = net.Forward(x, backend))
            using (var main = backend.Execute(new SliceChannelsOp(0, 3), o))
            using (var cropped = backend.Execute(new CropOp(h, w), main))
            using (var clamped = backend.Execute(new ClampOp(0f, 1f), cropped))
            {
                if (chromaInput is null)
                {
                    emit(t, clamped.ToHost());
                    continue;
                }
                using var rgb = FromChroma(clamped, processed[t], backend);
                emit(t, rgb.ToHost());
            }
        }
    }

    private const float AbRange = 256f;

    /// <summary>
    /// Frames [start, end) as normalized Lab (L/100, a/256 + ½, b/256 + ½), downscaled by the chroma
    /// scale, computed on the backend and kept on the host (in memory or on disk, like the frames).
    /// </summary>
    private static FrameStore ToChroma(FrameStore frames, int start, int end, StabilizeOptions options, IBackend backend)
    {
        var store = new FrameStore(options.MemoryBudgetBytes / 2);
        using var scale = new Tensor(new Shape(3), new[] { 1 / 100f, 1 / AbRange, 1 / AbRange });
        using var shift = new Tensor(new Shape(3), new[] { 0f, 0.5f, 0.5f });
        using var normalize = backend.Prepare(new AffineOp(3), scale, shift);
        for (int t = start; t < end; t++)
        {
            using var rgb = ToRgb(frames[t], backend);
            using var lab = backend.Execute(new RgbToLabOp(), rgb);
            using var normalized = normalize.Run(lab);
            var f = frames[t].Shape;
            int h = Math.Max(1, f.H / options.ChromaScale), w = Math.Max(1, f.W / options.ChromaScale);
            using var small = options.ChromaScale == 1 ? null : backend.Execute(new ResizeBicubicOp(h, w), normalized);
            store.Add((small ?? normalized).ToHost());
        }
        return store;
    }

    /// <summary>The predicted a, b upsampled to the processed frame's size, joined with its own L, back to sRGB (on the backend).</summary>
    private static Tensor FromChroma(Tensor predicted, Tensor processedFrame, IBackend backend)
    {
        using var full = ToRgb(processedFrame, backend);
        using var lab = backend.Execute(new RgbToLabOp(), full);
        using var scale = new Tensor(new Shape(2), new[] { AbRange, AbRange });
        using var shift = new Tensor(new Shape(2), new[] { -AbRange / 2, -AbRange / 2 });
        using var normalized = backend.Execute(new SliceChannelsOp(1, 2), predicted);
        // (v − ½)·256 as v·256 − 128: both exact scalings of the same rounded difference.
        using var ab = backend.Execute(new AffineOp(2), normalized, scale, shift);
        using var up = backend.Execute(new ResizeBilinearOp(full.Shape.H, full.Shape.W), ab);
        using var l = backend.Execute(new SliceChannelsOp(0, 1), lab);
        using var joined = backend.Execute(new ConcatOp(), l, up);
        return backend.Execute(new LabToRgbOp(), joined);
    }

    /// <summary>A frame on the backend as RGB (a gray frame's plane repeated), owned by the caller.</summary>
    private static Tensor ToRgb(Tensor frame, IBackend backend)
    {
        if (frame.Shape.C == 3) return backend.Import(frame);
        if (frame.Shape.C != 1) throw new ReelException($"frames must be gray or RGB, got {frame.Shape.C} channels");
        using var gray = backend.Import(frame);
        return backend.Execute(new ExpandChannelsOp(3), gray);
    }

    /// <summary>A frame on the backend as RGB, optionally decimated (on the host), then reflect-padded to a multiple of 32.</summary>
    private static (Tensor Frame, int ValidH, int ValidW) Prepare(Tensor frame, int factor, IBackend backend)
    {
        using var rgb = ToRgb(factor > 1 ? Decimate(FrameOps.ToRgb(frame), factor) : frame, backend);
        return (backend.Execute(new PadReflectOp(VideoPrior.SizeMultiple), rgb), rgb.Shape.H, rgb.Shape.W);
    }

    /// <summary>Pads bottom and right by mirroring (edge not repeated, folded again if the pad exceeds the frame).</summary>
    public static Tensor PadReflect(Tensor x, int multiple) => Backends.Cpu.ReferenceBackend.Instance.Execute(new PadReflectOp(multiple), x);

    /// <summary>Box-averaged downscale by an integer factor (partial blocks at the edges averaged as they are).</summary>
    private static Tensor Decimate(Tensor x, int factor)
    {
        var s = x.Shape;
        int h = (s.H + factor - 1) / factor, w = (s.W + factor - 1) / factor;
        var y = new Tensor(new Shape(s.N, s.C, h, w));
        for (int c = 0; c < s.C; c++)
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            double sum = 0;
            int count = 0;
            for (int a = i * factor; a < Math.Min(s.H, (i + 1) * factor); a++)
            for (int b = j * factor; b < Math.Min(s.W, (j + 1) * factor); b++, count++)
                sum += x.At(0, c, a, b);
            y.At(0, c, i, j) = (float)(sum / count);
        }
        return y;
    }

    private static string Describe(Tensor t) => $"{t.Shape.W}×{t.Shape.H} with {t.Shape.C} channel(s)";
}
