using System.CommandLine;
using System.Globalization;
using Reel.Engine;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// The prior's epochs, loss and warm-up, chroma mode's size and how it treats its targets, and how often its training is
/// saved, shared by restore and stabilize. The epochs', loss's and warm-up's defaults depend on the mode (<see cref="StabilizeOptions.For"/>),
/// so an option left out takes the mode's, not a fixed value.
/// </summary>
public sealed class PriorChoice
{
    private static readonly StabilizeOptions Rgb = StabilizeOptions.For(StabilizeMode.Rgb), Chroma = StabilizeOptions.For(StabilizeMode.Chroma);

    public Option<int?> Epochs { get; } = new("--epochs")
    {
        Description = $"Deep Video Prior epochs per shot (default {Rgb.Epochs} in rgb mode, {Chroma.Epochs} in chroma mode)",
    };

    public Option<bool> Irt { get; } = new("--irt") { Description = "Train the prior with Iteratively Reweighted Training, two heads (rgb mode's default)" };

    public Option<bool> NoIrt { get; } = new("--no-irt") { Description = "Train the prior with plain L1, one head (chroma mode's default)" };

    public Option<bool> NoModeHold { get; } = new("--no-mode-hold")
    {
        Description = "Chroma mode: train on the processed frames as they are, without first holding each pixel's colour mode along the input's motion",
    };

    public Option<bool> NoChromaMatch { get; } = new("--no-chroma-match")
    {
        Description = "Chroma mode: leave the prior's a, b as it answers them, without the affine map per shot (a gain and a shift) that gives them the mean of the targets it was trained on and the steady spread of the processed frames",
    };

    public Option<int?> ChromaScale { get; } = new("--chroma-scale")
    {
        Description = $"Chroma mode trains the prior at 1/N of the frame size, N 1 to {StabilizeOptions.MaxChromaScale} (default {Chroma.ChromaScale}; 3 keeps finer colour for about 1.45× the training time)",
    };

    public Option<int?> WarmEpochs { get; } = new("--warm-epochs")
    {
        Description = string.Create(CultureInfo.InvariantCulture,
            $"Plain L1: the first N epochs fit each shot's first frame alone at a step of {Chroma.WarmLearningRate} (default {Chroma.WarmEpochs})"),
    };

    public Option<double?> SaveEvery { get; } = SaveEveryOption($"default {Chroma.SaveEvery.TotalSeconds.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>--save-every, its default as <paramref name="byDefault"/> says (`restore run`'s is the plan's).</summary>
    public static Option<double?> SaveEveryOption(string byDefault) => new("--save-every")
    {
        Description = "Save the training of the shot in progress in the work folder every N seconds (and on a stop), so a crash loses " +
                      $"at most that much of it ({byDefault}; 0 after every step)",
    };

    /// <summary>The interval --save-every gives, or null where it was not given; refused unless a finite number of seconds ≥ 0.</summary>
    public static TimeSpan? SaveInterval(ParseResult r, Option<double?> option)
    {
        if (r.GetValue(option) is not { } every) return null;
        if (!(every >= 0 && every <= TimeSpan.MaxValue.TotalSeconds))
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--save-every must be a finite number of seconds ≥ 0, got {every}"));
        return TimeSpan.FromSeconds(every);
    }

    public IEnumerable<Option> All => new Option[] { Epochs, Irt, NoIrt, NoModeHold, NoChromaMatch, ChromaScale, WarmEpochs, SaveEvery };

    /// <summary>The options chroma mode alone uses.</summary>
    public IEnumerable<Option> ChromaOnly => new Option[] { NoModeHold, NoChromaMatch, ChromaScale };

    /// <summary>The mode's defaults with the epochs, loss, warm-up and chroma-target settings given on the command line.</summary>
    public StabilizeOptions Resolve(ParseResult r, StabilizeMode mode)
    {
        if (r.GetValue(Irt) && r.GetValue(NoIrt)) throw new UsageException("--irt and --no-irt contradict each other; give one");
        var saveEvery = SaveInterval(r, SaveEvery);
        var defaults = StabilizeOptions.For(mode, r.GetValue(Epochs), r.GetValue(Irt) ? true : r.GetValue(NoIrt) ? false : null);
        return defaults with
        {
            WarmEpochs = r.GetValue(WarmEpochs) ?? defaults.WarmEpochs,
            HoldModes = !r.GetValue(NoModeHold),
            MatchChroma = !r.GetValue(NoChromaMatch),
            ChromaScale = r.GetValue(ChromaScale) ?? Chroma.ChromaScale,
            SaveEvery = saveEvery ?? defaults.SaveEvery,
        };
    }
}
