using System.Collections.Concurrent;

namespace Reel.Engine.Interop;

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
