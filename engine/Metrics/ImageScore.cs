namespace Reel.Engine.Metrics;

/// <summary>One image of a denoising evaluation.</summary>
public sealed record ImageScore(string Name, int Width, int Height, double Psnr, double Ssim, double Milliseconds);
