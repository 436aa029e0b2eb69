namespace Reel.Engine.Pipeline;

/// <summary>Settings of a Deep Video Prior run.</summary>
public sealed record StabilizeOptions
{
    public StabilizeMode Mode { get; init; } = StabilizeMode.Rgb;
    /// <summary>Chroma mode trains at 1/ChromaScale of the frame size.</summary>
    public int ChromaScale { get; init; } = 2;
    /// <summary>Epochs per shot; the authors use 50 with IRT for colorization.</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Iteratively Reweighted Training (6-output net, two heads); off = plain L1, 3 outputs.</summary>
    public bool Irt { get; init; } = true;
    /// <summary>The U-Net's base width (32 in the paper).</summary>
    public int Width { get; init; } = 32;
    public float LearningRate { get; init; } = 1e-4f;
    public int Seed { get; init; }
    /// <summary>Train on 2× decimated frames for the first 4/5 of the epochs (the TF code's speed-up).</summary>
    public bool CoarseToFine { get; init; }
    /// <summary>One prior per shot, split at detected scene cuts.</summary>
    public bool SplitShots { get; init; } = true;
    /// <summary>Frames kept in memory up to this many bytes per sequence; the rest spill to a temp folder.</summary>
    public long MemoryBudgetBytes { get; init; } = 2L << 30;
}
