using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Reel.Engine.Pipeline;

/// <summary>Reads a sequence ahead on its own thread, so decoding overlaps the networks.</summary>
internal static class Prefetch
{
    /// <summary>
    /// Runs <paramref name="source"/> on its own thread up to <paramref name="capacity"/> items ahead;
    /// its errors surface here, and leaving early stops it.
    /// </summary>
    public static IEnumerable<T> Ahead<T>(IEnumerable<T> source, int capacity, CancellationToken cancel)
    {
        using var queue = new BlockingCollection<T>(capacity);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        ExceptionDispatchInfo? error = null;
        var producer = Task.Run(() =>
        {
            try
            {
                foreach (var item in source) queue.Add(item, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The consumer left; stopping here disposes the source (and its decoder).
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        try
        {
            foreach (var item in queue.GetConsumingEnumerable(cancel)) yield return item;
            producer.Wait();
            error?.Throw();
        }
        finally
        {
            stop.Cancel();
            producer.Wait();
        }
    }
}
