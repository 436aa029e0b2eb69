using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;

namespace Reel.Engine.Interop;

/// <summary>
/// What a reel_model handle stands for: one loaded network. <see cref="Gate"/> serializes the
/// calls that use it, because prepared ops keep per-model scratch state.
/// </summary>
/// <param name="source">The checkpoint's full path: a restore's record names the checkpoint by it, as the CLI's does.</param>
internal sealed class NativeModel(nint engine, DnCnn? denoiser, Colorizer? colorizer, IBackend backend, string source)
{
    public nint Engine { get; } = engine;
    /// <summary>
    /// The checkpoint the network was loaded from. Every model loaded here was "unnamed" in a restore's record, so a
    /// restore resumed with another checkpoint joined the shots of two networks into one film without a word.
    /// </summary>
    public string Source { get; } = source;
    public DnCnn? Denoiser { get; } = denoiser;
    public Colorizer? Colorizer { get; } = colorizer;
    public ColorizeStage? ColorizeStage { get; } = colorizer is null ? null : new ColorizeStage(colorizer, backend);
    public object Gate { get; } = new();
    public NativeModelKind Kind => Denoiser is not null ? NativeModelKind.Denoiser : NativeModelKind.Colorizer;
}
