namespace Reel.Engine.Pipeline;

/// <summary>
/// Where one shot's prior training is saved as it goes (<see cref="Training.SavedTraining"/>), and how often: a stopped
/// run's resume takes it up there. A stop asked for saves it first, so it loses none; a crash loses at most
/// <paramref name="Every"/> of training instead of the shot's.
/// </summary>
/// <param name="Path">The file, in the run's work folder; a saved training there is taken up when it is this shot's.</param>
/// <param name="Every">The least time between saves; zero saves after every step.</param>
/// <param name="Shot">The shot in words, for notes and for the file's identity ("shot 3 (frames 120–181)").</param>
/// <param name="Note">Hears what became of a saved training found there (taken up, or not and why).</param>
public sealed record TrainingSaves(string Path, TimeSpan Every, string Shot, Action<string> Note);
