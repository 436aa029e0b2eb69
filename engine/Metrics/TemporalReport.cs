namespace Reel.Engine.Metrics;

/// <summary>Temporal quality of a sequence (see <see cref="TemporalScorer"/> for each definition).</summary>
public sealed record TemporalReport(double WarpError, double WarpFloor, double Cdc, double Colorfulness, double Detail, double? PsnrProcessed, int Frames);
