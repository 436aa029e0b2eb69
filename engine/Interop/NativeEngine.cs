using System.Collections.Concurrent;
using Reel.Engine.Backends;

namespace Reel.Engine.Interop;

/// <summary>What a reel_engine handle stands for: a backend and the models loaded through it.</summary>
internal sealed class NativeEngine(IBackend backend)
{
    public IBackend Backend { get; } = backend;
    public ConcurrentDictionary<nint, byte> Models { get; } = new();
}
