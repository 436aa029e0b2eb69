namespace Reel.Engine.Metrics;

/// <summary>The whole evaluation: per-image scores and their means.</summary>
public sealed record DenoiseReport(IReadOnlyList<ImageScore> Images, double MeanPsnr, double MeanSsim, double Seconds);
