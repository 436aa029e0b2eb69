namespace Reel.Engine.Backends;

/// <summary>
/// Values on their way to the host (<see cref="IBackend.ReadLater"/>): on a GPU a copy queued behind
/// the work that makes them, which the host waits for only when it needs them, so it can queue more
/// work meanwhile. Disposing it without waiting gives up the values; a failed finite check it carried
/// is still reported, at the backend's next wait.
/// </summary>
public interface IPendingRead : IDisposable
{
    /// <summary>Whether <see cref="Wait"/> returns at once: the values were on the host when the read was made, or have been waited for.</summary>
    bool IsReady { get; }

    /// <summary>
    /// Waits for the copy, then the values; throws a <see cref="ReelException"/> for a finite check
    /// (<see cref="IBackend.EnsureFinite"/>) enqueued before the read that failed.
    /// </summary>
    float[] Wait();
}

/// <summary>Values that were on the host when they were asked for.</summary>
internal sealed class ReadyRead(float[] values) : IPendingRead
{
    public bool IsReady => true;

    public float[] Wait() => values;

    public void Dispose()
    {
    }
}
