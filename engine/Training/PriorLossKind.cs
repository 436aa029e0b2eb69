namespace Reel.Engine.Training;

/// <summary>Which loss a training step uses (specs/models.md §3); computed by the backend (<see cref="Ops.PriorLossOp"/>).</summary>
public enum PriorLossKind
{
    /// <summary>mean |O − P| on a 3-output net (no IRT).</summary>
    L1,
    /// <summary>IRT initialization: mean |O_main − P| + 0.9 · mean |O_minor − P|.</summary>
    IrtInit,
    /// <summary>IRT: a per-pixel confidence map picks which head each pixel trains.</summary>
    Irt,
}
