namespace Reel.Engine.Backends;

/// <summary>
/// A point on a device's own timeline (<see cref="IBackend.Mark"/>): a timing event recorded behind
/// the work queued so far, stamped when the device reaches it. Two marks time what ran between them
/// without the host waiting in between.
/// </summary>
public interface IDeviceMark : IDisposable
{
    /// <summary>Waits until the device has reached this mark, then the milliseconds between <paramref name="earlier"/> and it.</summary>
    double MillisecondsSince(IDeviceMark earlier);
}
