using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;

namespace Reel.Engine.Interop;

/// <summary>
/// What a reel_model handle stands for: one loaded network. <see cref="Gate"/> serializes the
/// calls that use it, because prepared ops keep per-model scratch state.
/// </summary>
internal sealed class NativeModel(nint engine, DnCnn? denoiser, Colorizer? colorizer, IBackend backend)
{
    public nint Engine { get; } = engine;
    public DnCnn? Denoiser { get; } = denoiser;
    public Colorizer? Colorizer { get; } = colorizer;
    public ColorizeStage? ColorizeStage { get; } = colorizer is null ? null : new ColorizeStage(colorizer, backend);
    public object Gate { get; } = new();
    public NativeModelKind Kind => Denoiser is not null ? NativeModelKind.Denoiser : NativeModelKind.Colorizer;
}
