namespace Reel.Engine.Video;

/// <summary>What a written video or image must hold: this many frames of this size (0 × 0: any one size), lasting at least this long.</summary>
public sealed record VideoExpectation(int Frames, int Width, int Height)
{
    /// <summary>The container must say at least this (the span of the frames' timestamps); null skips the check.</summary>
    public double? MinDurationSeconds { get; init; }
}
