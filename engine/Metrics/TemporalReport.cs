namespace Reel.Engine.Metrics;

/// <summary>Temporal quality of a sequence (see <see cref="TemporalScorer"/> for each definition).</summary>
public sealed record TemporalReport(double WarpError, double WarpFloor, double Cdc, double Colorfulness, double Detail, double? PsnrProcessed, int Frames)
{
    /// <summary>Lai et al.'s warp error (mean squared, occlusions and motion boundaries left out): what the Deep Video Prior paper reports.</summary>
    public required double WarpErrorLai { get; init; }

    /// <summary><see cref="WarpErrorLai"/> on the input frames.</summary>
    public required double WarpFloorLai { get; init; }

    /// <summary>The CDC at 256 bins a channel, TCVC's own count.</summary>
    public required double Cdc256 { get; init; }
}
