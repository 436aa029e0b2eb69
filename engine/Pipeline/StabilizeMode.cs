namespace Reel.Engine.Pipeline;

/// <summary>What the prior is trained to reproduce.</summary>
public enum StabilizeMode
{
    /// <summary>The processed RGB frames at full size (the reference recipe).</summary>
    Rgb,
    /// <summary>
    /// Only the chroma: the net maps normalized Lab of the input to normalized Lab of the processed
    /// frame at 1/<see cref="StabilizeOptions.ChromaScale"/> size; its a, b are upsampled and joined
    /// with the processed frame's full-resolution L. For colorization, where flicker is chroma.
    /// </summary>
    Chroma,
}
