namespace Reel.Engine.Training;

/// <summary>The constants of the prior's losses (specs/models.md §3), shared by every backend's implementation.</summary>
public static class PriorLoss
{
    /// <summary>IRT initialization weighs the minor head's L1 by this.</summary>
    public const float IrtInitMinorWeight = 0.9f;
    /// <summary>IRT's confidence divides each difference by the input plus this.</summary>
    public const float IrtInputOffset = 0.1f;
}
