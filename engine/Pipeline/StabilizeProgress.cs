namespace Reel.Engine.Pipeline;

/// <summary>
/// Where a run is, reported after every training iteration: the iteration's shot, epoch and the frame
/// it trained on (1-based in the shot: the shot's first frame throughout an epoch that initializes on
/// it), its loss, and the run's fraction done.
/// </summary>
public sealed record StabilizeProgress(int Shot, int Shots, int Epoch, int Epochs, int Frame, int Frames, double Loss, double Fraction, TimeSpan Elapsed)
{
    /// <summary>
    /// On the first step after a saved training was taken up: the steps it had taken, in frames' worth (steps ÷ epochs), which
    /// the fraction counts and this run did not do (a rate leaves them out). Zero otherwise.
    /// </summary>
    public double KeptFrames { get; init; }
}
