namespace Reel.Engine.Pipeline;

/// <summary>Where a run is, reported after every training iteration.</summary>
public sealed record StabilizeProgress(int Shot, int Shots, int Epoch, int Epochs, int Frame, int Frames, double Loss, double Fraction, TimeSpan Elapsed);
