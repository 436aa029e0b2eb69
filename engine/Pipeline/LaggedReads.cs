namespace Reel.Engine.Pipeline;

/// <summary>
/// Reads of a frame's results handed on one frame late: each is waited for once the next frame's work is
/// queued, so on a GPU the host's wait leaves the device that work to do; the last when the caller is done.
/// Handed on in the order they came, each once; whatever was not handed on is given up when this is disposed.
/// </summary>
/// <param name="handOn">Waits for a read and uses it.</param>
/// <param name="giveUp">Releases a read (after it was handed on, or unread).</param>
internal sealed class LaggedReads<T>(Action<T> handOn, Action<T> giveUp) : IDisposable
{
    private readonly Queue<T> _queued = new();

    /// <summary>Adds the read of the frame whose work was just queued, and hands on the one before it.</summary>
    public void Add(T read)
    {
        _queued.Enqueue(read);
        while (_queued.Count > 1) HandOnFirst();
    }

    /// <summary>Hands on what is left: the caller has queued all its work.</summary>
    public void Finish()
    {
        while (_queued.Count > 0) HandOnFirst();
    }

    private void HandOnFirst()
    {
        var read = _queued.Dequeue();
        try
        {
            handOn(read);
        }
        finally
        {
            giveUp(read);
        }
    }

    /// <summary>Gives up the reads not handed on (a failure on the way).</summary>
    public void Dispose()
    {
        while (_queued.Count > 0) giveUp(_queued.Dequeue());
    }
}
