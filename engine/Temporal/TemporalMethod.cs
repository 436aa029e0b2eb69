using Reel.Engine.Pipeline;

namespace Reel.Engine.Temporal;

/// <summary>How a temporal stage removes flicker from processed frames.</summary>
public enum TemporalMethod
{
    /// <summary>Leave the processed frames as they are.</summary>
    None,
    /// <summary>The Deep Video Prior: a network trained on each shot (StabilizeStage).</summary>
    Prior,
    /// <summary>Feed-forward, flow-guided consistency in the gradient domain (<see cref="FlowTemporal"/>).</summary>
    Flow,
}
