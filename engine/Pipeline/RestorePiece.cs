namespace Reel.Engine.Pipeline;

/// <summary>A finished piece of the output: frames [Start, End), first frame at StartNs, stored in File (video) or as frames.</summary>
public sealed record RestorePiece(int Start, int End, long StartNs, string? File);
