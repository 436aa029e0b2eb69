using System.Diagnostics;
using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Tensors;
using Reel.Engine.Training;

namespace Reel.Engine.Pipeline;

/// <summary>What the prior is trained to reproduce.</summary>
public enum StabilizeMode
{
    /// <summary>The processed RGB frames at full size (the reference recipe).</summary>
    Rgb,
    /// <summary>
    /// Only the chroma: the net maps normalized Lab of the input to normalized Lab of the processed
    /// frame at 1/<see cref="StabilizeOptions.ChromaScale"/> size; its a, b are upsampled and joined
    /// with the processed frame's full-resolution L. For colorization, where flicker is chroma.
    /// </summary>
    Chroma,
}

/// <summary>Settings of a Deep Video Prior run.</summary>
public sealed record StabilizeOptions
{
    public StabilizeMode Mode { get; init; } = StabilizeMode.Rgb;
    /// <summary>Chroma mode trains at 1/ChromaScale of the frame size.</summary>
    public int ChromaScale { get; init; } = 2;
    /// <summary>Epochs per shot; the authors use 50 with IRT for colorization.</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Iteratively Reweighted Training (6-output net, two heads); off = plain L1, 3 outputs.</summary>
    public bool Irt { get; init; } = true;
    /// <summary>The U-Net's base width (32 in the paper).</summary>
    public int Width { get; init; } = 32;
    public float LearningRate { get; init; } = 1e-4f;
    public int Seed { get; init; }
    /// <summary>Train on 2× decimated frames for the first 4/5 of the epochs (the TF code's speed-up).</summary>
    public bool CoarseToFine { get; init; }
    /// <summary>One prior per shot, split at detected scene cuts.</summary>
    public bool SplitShots { get; init; } = true;
    /// <summary>Frames kept in memory up to this many bytes per sequence; the rest spill to a temp folder.</summary>
    public long MemoryBudgetBytes { get; init; } = 2L << 30;
}

/// <summary>Where a run is, reported after every training iteration.</summary>
public sealed record StabilizeProgress(int Shot, int Shots, int Epoch, int Epochs, int Frame, int Frames, double Loss, double Fraction, TimeSpan Elapsed);

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

        using var chromaInput = options.Mode == StabilizeMode.Chroma ? ToChroma(input, start, end, options) : null;
        using var chromaTarget = options.Mode == StabilizeMode.Chroma ? ToChroma(processed, start, end, options) : null;
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
                var (x, validH, validW) = Prepare(TrainInput(frame), factor);
                var (p, _, _) = Prepare(TrainTarget(frame), factor);
                double loss = trainer.Step(kind, x, p, validH, validW);
                done++;
                progress?.Invoke(new StabilizeProgress(1, 1, epoch, options.Epochs, t - start + 1, end - start,
                    loss, (double)done / totalIterations, clock.Elapsed));
            }
        }
        for (int t = start; t < end; t++)
        {
            cancel.ThrowIfCancellationRequested();
            var (x, h, w) = Prepare(TrainInput(t), 1);
            var o = Crop(net.Forward(x, backend), h, w);
            emit(t, chromaInput is null ? o : FromChroma(o, processed[t], backend));
        }
    }

    private const float AbRange = 256f;

    /// <summary>Frames [start, end) as normalized Lab (L/100, a/256 + ½, b/256 + ½), downscaled by the chroma scale.</summary>
    private static FrameStore ToChroma(FrameStore frames, int start, int end, StabilizeOptions options)
    {
        var store = new FrameStore(options.MemoryBudgetBytes / 2);
        for (int t = start; t < end; t++)
        {
            var f = frames[t];
            var lab = Color.Lab.FromRgb(FrameOps.ToRgb(f));
            int plane = f.Shape.H * f.Shape.W;
            for (int i = 0; i < plane; i++)
            {
                lab.Data[i] /= 100f;
                lab.Data[plane + i] = lab.Data[plane + i] / AbRange + 0.5f;
                lab.Data[2 * plane + i] = lab.Data[2 * plane + i] / AbRange + 0.5f;
            }
            int h = Math.Max(1, f.Shape.H / options.ChromaScale), w = Math.Max(1, f.Shape.W / options.ChromaScale);
            store.Add(options.ChromaScale == 1 ? lab : Resample.Bicubic(lab, h, w));
        }
        return store;
    }

    /// <summary>The predicted a, b upsampled to the processed frame's size, joined with its own L, back to sRGB.</summary>
    private static Tensor FromChroma(Tensor predicted, Tensor processedFrame, IBackend backend)
    {
        var full = FrameOps.ToRgb(processedFrame);
        var lab = Color.Lab.FromRgb(full);
        int plane = full.Shape.H * full.Shape.W, small = predicted.Shape.H * predicted.Shape.W;
        var ab = new Tensor(new Shape(1, 2, predicted.Shape.H, predicted.Shape.W));
        for (int i = 0; i < 2 * small; i++) ab.Data[i] = (predicted.Data[small + i] - 0.5f) * AbRange;
        var up = backend.Prepare(new Ops.ResizeBilinearOp(full.Shape.H, full.Shape.W)).Run(ab);
        Array.Copy(up.Data, 0, lab.Data, plane, 2 * plane);
        return Color.Lab.ToRgb(lab);
    }

    /// <summary>Gray frames tiled to RGB, optionally decimated, then reflect-padded to a multiple of 32.</summary>
    private static (Tensor Frame, int ValidH, int ValidW) Prepare(Tensor frame, int factor)
    {
        var rgb = FrameOps.ToRgb(frame);
        if (factor > 1) rgb = Decimate(rgb, factor);
        return (PadReflect(rgb, VideoPrior.SizeMultiple), rgb.Shape.H, rgb.Shape.W);
    }

    /// <summary>Pads bottom and right by mirroring (edge not repeated, folded again if the pad exceeds the frame).</summary>
    public static Tensor PadReflect(Tensor x, int multiple)
    {
        var s = x.Shape;
        int h = (s.H + multiple - 1) / multiple * multiple, w = (s.W + multiple - 1) / multiple * multiple;
        if (h == s.H && w == s.W) return x;
        var y = new Tensor(new Shape(s.N, s.C, h, w));
        for (int n = 0; n < s.N; n++)
        for (int c = 0; c < s.C; c++)
        for (int i = 0; i < h; i++)
        {
            int si = Mirror(i, s.H);
            for (int j = 0; j < w; j++) y.At(n, c, i, j) = x.At(n, c, si, Mirror(j, s.W));
        }
        return y;
    }

    private static int Mirror(int i, int size)
    {
        if (size == 1) return 0;
        int period = 2 * (size - 1);
        i %= period;
        return i < size ? i : period - i;
    }

    /// <summary>The first three channels (the main head), top-left H × W, clamped to [0, 1].</summary>
    private static Tensor Crop(Tensor o, int h, int w)
    {
        var y = new Tensor(new Shape(1, 3, h, w));
        for (int c = 0; c < 3; c++)
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            y.At(0, c, i, j) = Math.Clamp(o.At(0, c, i, j), 0f, 1f);
        return y;
    }

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
