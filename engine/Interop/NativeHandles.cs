using System.Collections.Concurrent;
using Reel.Engine.Backends;
using Reel.Engine.Models;
using Reel.Engine.Pipeline;

namespace Reel.Engine.Interop;

/// <summary>What a reel_engine handle stands for: a backend and the models loaded through it.</summary>
internal sealed class NativeEngine(IBackend backend)
{
    public IBackend Backend { get; } = backend;
    public ConcurrentDictionary<nint, byte> Models { get; } = new();
}

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

/// <summary>
/// Opaque handles for C: ids into a table rather than GCHandles, so a freed, foreign or
/// mistyped handle is reported as REEL_E_INVALID_ARG instead of corrupting memory. Ids are
/// never reused, which makes a double free detectable too.
/// </summary>
internal static class NativeHandles
{
    private static readonly ConcurrentDictionary<nint, object> Live = new();
    private static long _last;

    public static nint Add(object target)
    {
        var handle = (nint)Interlocked.Increment(ref _last);
        Live[handle] = target;
        return handle;
    }

    public static T Get<T>(nint handle, string what) where T : class =>
        Live.TryGetValue(handle, out var o) && o is T t ? t : throw Unknown(handle, what);

    public static T Remove<T>(nint handle, string what) where T : class
    {
        var target = Get<T>(handle, what);
        if (!Live.TryRemove(new KeyValuePair<nint, object>(handle, target))) throw Unknown(handle, what);
        return target;
    }

    /// <summary>Drops a handle if it is still live; for owners cleaning up after their dependents.</summary>
    public static void Forget(nint handle) => Live.TryRemove(handle, out _);

    /// <summary>The target of a handle, or null once it is freed.</summary>
    public static T? Find<T>(nint handle) where T : class => Live.TryGetValue(handle, out var o) ? o as T : null;

    private static NativeArgumentException Unknown(nint handle, string what) =>
        new($"{what} 0x{handle:x} is not a live handle (already freed, or not a {what})");
}
