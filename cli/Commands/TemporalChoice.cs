using System.CommandLine;
using Reel.Engine.Pipeline;
using Reel.Engine.Temporal;

namespace Reel.Cli.Commands;

/// <summary>The `--temporal prior|flow|none` switch and the flow stage's settings, shared by restore and stabilize.</summary>
public static class TemporalChoice
{
    public static Option<string> CreateOption()
    {
        var option = new Option<string>("--temporal")
        {
            Description = "prior: train a Deep Video Prior per shot (slow, no flow); flow: keep each processed frame's gradients and pull it towards the previous output along the input's optical flow (fast); none: no temporal stage",
            DefaultValueFactory = _ => "prior",
        };
        option.AcceptOnlyFromAmong("prior", "flow", "none");
        return option;
    }

    public static TemporalMethod Parse(string value) => value switch
    {
        "flow" => TemporalMethod.Flow,
        "none" => TemporalMethod.None,
        _ => TemporalMethod.Prior,
    };

    /// <summary>The flow stage's three tunables, defaulting to <see cref="FlowTemporalOptions"/>'s.</summary>
    public sealed class FlowSettings
    {
        private static readonly FlowTemporalOptions Defaults = new();
        public Option<float> Lambda { get; } = new("--flow-lambda") { Description = "Flow stage: pull towards the previous output against the gradients, per pixel", DefaultValueFactory = _ => Defaults.Lambda };
        public Option<float> Blend { get; } = new("--flow-blend") { Description = "Flow stage: share of the current processed frame in the pull's target (0 follows the previous output only)", DefaultValueFactory = _ => Defaults.Blend };
        public Option<int> Iterations { get; } = new("--flow-iterations") { Description = "Flow stage: SOR sweeps per frame", DefaultValueFactory = _ => Defaults.Iterations };
        public Option<float> Robust { get; } = new("--flow-robust") { Description = "Flow stage: how close (fraction of the channel's range) the processed frame must be to the previous output to be blended in; 0 blends everywhere", DefaultValueFactory = _ => Defaults.Robust };

        public IEnumerable<Option> All => new Option[] { Lambda, Blend, Iterations, Robust };

        /// <summary>The settings given, refused here when no run can use them.</summary>
        public FlowTemporalOptions Read(ParseResult r, StabilizeMode mode)
        {
            var options = new FlowTemporalOptions
            {
                Mode = mode,
                Lambda = r.GetValue(Lambda),
                Blend = r.GetValue(Blend),
                Iterations = r.GetValue(Iterations),
                Robust = r.GetValue(Robust),
            };
            options.Validate();
            return options;
        }
    }
}
