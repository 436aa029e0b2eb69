using System.Text.Json.Serialization;

namespace Reel.Engine.Pipeline;

/// <summary>
/// One shot of a plan: frames <see cref="First"/>..<see cref="Last"/> of the film (inclusive),
/// the first and last one's presentation times, and a SHA-256 of what decoding gave for them
/// (each frame's time and pixels), which a worker checks before it keeps the shot's piece.
/// </summary>
public sealed record PlannedShot(int Index, int First, int Last, long FirstPtsNs, long LastPtsNs, string Sha256)
{
    /// <summary>How many frames the shot holds.</summary>
    [JsonIgnore]
    public int Frames => Last - First + 1;

    /// <summary>The shot's number as people and file names say it: 1 for the first, as progress counts shots.</summary>
    [JsonIgnore]
    public int Number => Index + 1;
}
