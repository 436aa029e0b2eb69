namespace Reel.Engine.Pipeline;

/// <summary>
/// A finished piece of the output: frames [Start, End), first frame at StartNs, stored in File (video) or as frames; InputSha256
/// the SHA-256 of the input frames it was made from, their times and decoded pixels as a plan hashes a shot's (null in a record
/// written before it was kept, and in a stabilize's, whose input is known by its frames already).
/// </summary>
public sealed record RestorePiece(int Start, int End, long StartNs, string? File, string? InputSha256 = null);
