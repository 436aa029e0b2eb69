using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>
/// A tensor on its way to the host (<see cref="BackendExtensions.ReadTensorLater"/>): a host tensor
/// already, or a read queued behind the work that makes it, which the host waits for only when it
/// needs the values, so it can queue more work meanwhile (a restore queues the next frame first).
/// </summary>
public sealed class PendingTensor : IDisposable
{
    private readonly Shape _shape;
    private readonly IPendingRead? _read;
    private Tensor? _host;

    internal PendingTensor(Tensor host) => (_shape, _host) = (host.Shape, host);

    internal PendingTensor(IPendingRead read, Shape shape) => (_shape, _read) = (shape, read);

    /// <summary>The host tensor, waiting for its read first (which reports a failed finite check queued before it).</summary>
    public Tensor Wait() => _host ??= new Tensor(_shape, _read!.Wait());

    /// <summary>Gives up the read if it was not waited for (its finite checks are still reported, at the backend's next wait).</summary>
    public void Dispose() => _read?.Dispose();
}
