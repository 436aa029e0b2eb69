using System.Globalization;
using Reel.Engine.Training;

namespace Reel.Engine.Pipeline;

/// <summary>Settings of a Deep Video Prior run, and the training schedule they give.</summary>
public sealed record StabilizeOptions
{
    /// <summary>With IRT, the first this many epochs train on frame 0 alone (the authors' initialization).</summary>
    public const int IrtInitEpochs = 5;

    /// <summary>What the prior reproduces: the processed RGB frames, or only their chroma.</summary>
    public StabilizeMode Mode { get; init; } = StabilizeMode.Rgb;
    /// <summary>
    /// Chroma mode trains at 1/ChromaScale of the frame size. 4 by the measurements in README ("Which
    /// temporal stage, and why"): on the goat clip and a synthetic colorization flicker it is as
    /// steady and as colourful as 2, or more, at a quarter of the training compute.
    /// </summary>
    public int ChromaScale { get; init; } = 4;
    /// <summary>
    /// The largest chroma scale: at 16 a Full-HD frame trains at 120×67, still a picture; past it the
    /// prior learns a few blurred pixels per frame (1000 left one), a slip of the keyboard more than a choice.
    /// </summary>
    public const int MaxChromaScale = 16;
    /// <summary>Epochs per shot; the authors use 50 with IRT for colorization (<see cref="For"/> gives each mode's default).</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Iteratively Reweighted Training (6-output net, two heads); off = plain L1, 3 outputs.</summary>
    public bool Irt { get; init; } = true;
    /// <summary>
    /// Chroma mode: before training, hold each pixel's colour mode along the input's motion
    /// (<see cref="Temporal.ModeAlignment"/>), so a colorizer's jumps between two colours of one object
    /// train the prior on one of them, not their mean. Frames under 16×16 pixels cannot be followed
    /// and train as they are.
    /// </summary>
    public bool HoldModes { get; init; } = true;
    /// <summary>
    /// Chroma mode: map the prior's a, b by one gain and shift per shot, so that at the frames' size
    /// their mean is the held targets' and their spread about it the steady part of the processed
    /// frames' before the hold (<see cref="Models.ShotChroma"/>, <see cref="Models.ChromaMatch"/>).
    /// An early-stopped prior is pulled towards gray where its fit is slow (small coloured regions);
    /// one map per shot gives the colour back without bringing back any flicker. Before this map
    /// (2026-12-06) one gain matched the total magnitude, then the energy at the net's size, then the
    /// steady energy at the frames' size; README has the measurements.
    /// </summary>
    public bool MatchChroma { get; init; } = true;
    /// <summary>The U-Net's base width (32 in the paper).</summary>
    public int Width { get; init; } = 32;
    /// <summary>Adam's step size (the paper's 1e-4).</summary>
    public float LearningRate { get; init; } = 1e-4f;
    /// <summary>
    /// Plain L1 only: the first this many epochs fit the shot's first frame alone, at
    /// <see cref="WarmLearningRate"/>, and the rest train over every frame at <see cref="LearningRate"/>
    /// with an Adam of their own. One frame has no flicker to average, so a large step learns where
    /// its colours lie and how strong they are in a few epochs; the small step after it follows the
    /// motion without pulling them towards the shot's mean. Chroma mode's default (2/5 of the epochs) from
    /// 2026-12-05, when it took the multimodal clip's colour from 73–89% over four seeds to 89–91%, until
    /// the chroma match gave the answers their mean and spread (2026-12-06): then every seed kept the colour
    /// without it, and with it the goat clip's CDC went past 2× the input's on two seeds of six (README).
    /// </summary>
    public int WarmEpochs { get; init; }
    /// <summary>Adam's step size in the <see cref="WarmEpochs"/>.</summary>
    public float WarmLearningRate { get; init; } = 5e-4f;
    /// <summary>Seed of the weight initialization; a run over several shots adds each shot's index.</summary>
    public int Seed { get; init; }
    /// <summary>Train on 2× decimated frames for the first 4/5 of the epochs (the TF code's speed-up).</summary>
    public bool CoarseToFine { get; init; }
    /// <summary>One prior per shot, split at detected scene cuts.</summary>
    public bool SplitShots { get; init; } = true;
    /// <summary>Frames kept in memory up to this many bytes per sequence; the rest spill to a temp folder.</summary>
    public long MemoryBudgetBytes { get; init; } = 2L << 30;
    /// <summary>
    /// How often a resumable run saves a shot's training as it goes (<see cref="TrainingSaves"/>); zero after every step. A stop
    /// asked for saves it too. A minute by default: a crash then loses at most a minute of training (a shot's is an hour or more on a CPU), and a
    /// save (103.5 MB at the paper's width, 0.28 s with its fsync on the 2-core machine) costs about 0.5% of the time. Not a
    /// setting a resume must match: it shapes no answer.
    /// </summary>
    public TimeSpan SaveEvery { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A run's defaults in <paramref name="mode"/>. RGB trains with IRT for 50 epochs, the authors'
    /// colorization recipe. Chroma trains with plain L1 for 25, by README's measurements ("A colour
    /// cast, found and removed"): at chroma/4 on the goat clip IRT at 50 epochs kept 61% of the
    /// colour, L1 at 25 kept 96%, as steady within the goal, at half the compute. A caller's
    /// <paramref name="epochs"/> and <paramref name="irt"/>, where given, replace the mode's.
    /// </summary>
    public static StabilizeOptions For(StabilizeMode mode, int? epochs = null, bool? irt = null)
    {
        bool chroma = mode == StabilizeMode.Chroma;
        return new StabilizeOptions { Mode = mode, Epochs = epochs ?? (chroma ? 25 : 50), Irt = irt ?? !chroma };
    }

    /// <summary>The net's outputs: two heads of 3 with IRT, one without.</summary>
    public int OutChannels => Irt ? 6 : 3;

    /// <summary>
    /// Every setting that shapes the prior's answers, as a line of "label value" words: what a resumed run (a restore's,
    /// a stabilize's) must match. The chroma match is named by what it matches: a run interrupted under an earlier match
    /// (the total magnitude, then the energy, until 2026-12-06) is not resumed with shots matched another way.
    /// </summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Mode} scale {ChromaScale} epochs {Epochs} irt {Irt} width {Width} lr {LearningRate:R} warm {WarmEpochs} at {WarmLearningRate:R} seed {Seed} coarse {CoarseToFine} hold {HoldModes} match {(MatchChroma ? "mean and steady spread" : "off")}");

    /// <summary>Refuses settings no run can use, before any work starts; the errors name the CLI's options.</summary>
    public void Validate() => Validate(SettingNames.Cli);

    /// <summary>Refuses settings no run can use, naming each setting as the caller (<paramref name="names"/>) calls it.</summary>
    public void Validate(SettingNames names)
    {
        if (Epochs < 1) throw new UsageException($"{names.Epochs} must be ≥ 1, got {Epochs}");
        if (Irt && Epochs <= IrtInitEpochs)
            throw new UsageException($"with IRT the first {IrtInitEpochs} epochs only initialize on frame 0; use more than {IrtInitEpochs} epochs or {names.NoIrt}");
        if (Mode == StabilizeMode.Chroma && ChromaScale is < 1 or > MaxChromaScale)
            throw new UsageException($"{names.ChromaScale} must be 1 to {MaxChromaScale}, got {ChromaScale}");
        if (Width < 1) throw new UsageException($"{names.Width} must be ≥ 1, got {Width}");
        RequirePositive(LearningRate, names.LearningRate);
        if (WarmEpochs < 0 || WarmEpochs >= Epochs)
            throw new UsageException($"{names.WarmEpochs} must be ≥ 0 and under the epochs ({Epochs}), got {WarmEpochs}");
        if (Irt && WarmEpochs > 0)
            throw new UsageException($"{names.WarmEpochs} is for plain L1; IRT initializes on frame 0 by itself (give {names.NoIrt}, or {names.WarmEpochs} 0)");
        RequirePositive(WarmLearningRate, "the warm epochs' learning rate");
    }

    private static void RequirePositive(float rate, string name)
    {
        if (!(rate > 0) || float.IsInfinity(rate))
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{name} must be a positive number, got {rate}"));
    }

    /// <summary>
    /// What a caller calls each setting, for <see cref="Validate(SettingNames)"/>'s errors: `reel`'s
    /// options, or the fields of the C ABI's reel_restore_options.
    /// </summary>
    public sealed record SettingNames(string Epochs, string NoIrt, string ChromaScale, string Width, string LearningRate, string WarmEpochs)
    {
        /// <summary>The names of `reel stabilize`'s options (`reel restore` has --epochs, --no-irt, --chroma-scale and --warm-epochs of them).</summary>
        public static SettingNames Cli { get; } = new("--epochs", "--no-irt", "--chroma-scale", "--width", "--learning-rate", "--warm-epochs");
    }

    /// <summary>Whether epoch <paramref name="epoch"/> (1-based) only initializes, training on the shot's first frame (IRT's, or the <see cref="WarmEpochs"/>).</summary>
    public bool Initializes(int epoch) => epoch <= (Irt ? IrtInitEpochs : WarmEpochs);

    /// <summary>The loss of epoch <paramref name="epoch"/> (1-based): plain L1 without IRT, else IRT's initialization, then IRT.</summary>
    public PriorLossKind LossOf(int epoch) => !Irt ? PriorLossKind.L1 : Initializes(epoch) ? PriorLossKind.IrtInit : PriorLossKind.Irt;

    /// <summary>How much epoch <paramref name="epoch"/> (1-based) decimates its frames: 2 in the coarse 4/5 of a coarse-to-fine run, else 1.</summary>
    public int DecimationOf(int epoch) => CoarseToFine && epoch <= Epochs * 4 / 5 ? 2 : 1;
}
