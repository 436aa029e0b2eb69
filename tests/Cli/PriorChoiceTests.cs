using System.CommandLine;
using Reel.Cli.Commands;
using Reel.Engine;
using Reel.Engine.Pipeline;

namespace Reel.Tests.Cli;

/// <summary>The prior's epochs, loss, warm-up and chroma-target settings on the command line: each mode's defaults, and what overrides them.</summary>
public class PriorChoiceTests
{
    private static StabilizeOptions Parse(StabilizeMode mode, params string[] args)
    {
        var choice = new PriorChoice();
        var command = new Command("t");
        foreach (var o in choice.All) command.Options.Add(o);
        var r = command.Parse(args);
        Assert.Empty(r.Errors);
        return choice.Resolve(r, mode);
    }

    [Fact]
    public void EachModeHasItsOwnDefaults()
    {
        var rgb = Parse(StabilizeMode.Rgb);
        Assert.Equal((50, true, StabilizeMode.Rgb), (rgb.Epochs, rgb.Irt, rgb.Mode));
        var chroma = Parse(StabilizeMode.Chroma);
        Assert.Equal((25, false, StabilizeMode.Chroma), (chroma.Epochs, chroma.Irt, chroma.Mode));
        Assert.Equal((true, true, 4), (chroma.HoldModes, chroma.MatchChroma, chroma.ChromaScale));
        Assert.Equal((0, 0), (chroma.WarmEpochs, rgb.WarmEpochs));
        Assert.Equal(chroma, new RestoreOptions().Prior);
    }

    [Fact]
    public void TheWarmUpIsAskedForAndOnlyWithPlainL1()
    {
        Assert.Equal(0, Parse(StabilizeMode.Chroma, "--epochs", "50").WarmEpochs);
        Assert.Equal(10, Parse(StabilizeMode.Chroma, "--warm-epochs", "10").WarmEpochs);
        Assert.Equal(3, Parse(StabilizeMode.Rgb, "--no-irt", "--warm-epochs", "3").WarmEpochs);
        var tooMany = Assert.Throws<UsageException>(() => Parse(StabilizeMode.Chroma, "--epochs", "5", "--warm-epochs", "5").Validate());
        Assert.Contains("--warm-epochs must be ≥ 0 and under the epochs (5), got 5", tooMany.Message);
        var withIrt = Assert.Throws<UsageException>(() => Parse(StabilizeMode.Chroma, "--irt", "--warm-epochs", "2").Validate());
        Assert.Contains("--warm-epochs is for plain L1", withIrt.Message);
        var options = Parse(StabilizeMode.Chroma, "--warm-epochs", "10");
        Assert.True(options.Initializes(10));
        Assert.False(options.Initializes(11));
        Assert.False(Parse(StabilizeMode.Chroma).Initializes(1));
    }

    [Fact]
    public void GivenOptionsOverrideTheModesDefaults()
    {
        var chroma = Parse(StabilizeMode.Chroma, "--irt", "--epochs", "40");
        Assert.Equal((40, true), (chroma.Epochs, chroma.Irt));
        var rgb = Parse(StabilizeMode.Rgb, "--no-irt");
        Assert.Equal((50, false), (rgb.Epochs, rgb.Irt));
        var plain = Parse(StabilizeMode.Chroma, "--no-mode-hold", "--no-chroma-match", "--chroma-scale", "3");
        Assert.Equal((false, false, 3), (plain.HoldModes, plain.MatchChroma, plain.ChromaScale));
        foreach (var scale in new[] { "0", "17", "1000" })
        {
            var outOfRange = Assert.Throws<UsageException>(() => Parse(StabilizeMode.Chroma, "--chroma-scale", scale).Validate());
            Assert.Equal($"--chroma-scale must be 1 to 16, got {scale}", outOfRange.Message);
        }
        Parse(StabilizeMode.Chroma, "--chroma-scale", "16").Validate();
        var e = Assert.Throws<UsageException>(() => Parse(StabilizeMode.Rgb, "--irt", "--no-irt"));
        Assert.Contains("contradict", e.Message);
    }

    [Fact]
    public void TheTrainingIsSavedEveryMinuteUnlessToldOtherwise()
    {
        Assert.Equal(TimeSpan.FromMinutes(1), Parse(StabilizeMode.Chroma).SaveEvery);
        Assert.Equal(TimeSpan.FromSeconds(2.5), Parse(StabilizeMode.Rgb, "--save-every", "2.5").SaveEvery);
        Assert.Equal(TimeSpan.Zero, Parse(StabilizeMode.Chroma, "--save-every", "0").SaveEvery);
        // How often it is saved shapes no frame: a resume with another interval is the same run.
        Assert.Equal(Parse(StabilizeMode.Chroma).Describe(), Parse(StabilizeMode.Chroma, "--save-every", "5").Describe());
        foreach (var bad in new[] { "-1", "NaN", "1e300" })
            Assert.Equal($"--save-every must be a finite number of seconds ≥ 0, got {double.Parse(bad, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                Assert.Throws<UsageException>(() => Parse(StabilizeMode.Chroma, "--save-every", bad)).Message);
    }
}
