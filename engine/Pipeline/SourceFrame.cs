namespace Reel.Engine.Pipeline;

/// <summary>One input frame: its place in the sequence, packed u8 pixels, time and the name a folder output gives it.</summary>
public sealed record SourceFrame(int Index, byte[] Pixels, long PtsNs, string Name)
{
    /// <summary>Decoded at another size than the stream's (it changed mid-stream) and scaled to it.</summary>
    public bool Resized { get; init; }
}
