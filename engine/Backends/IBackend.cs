using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends;

/// <summary>Something that executes ops. Backends declare support per op; unsupported ops are never guessed at.</summary>
public interface IBackend
{
    /// <summary>A short name for messages and benchmarks ("cpu", "cpu-reference", "cuda", …).</summary>
    string Name { get; }
    /// <summary>Whether <see cref="Prepare"/> accepts <paramref name="op"/>; an unsupported op is declared, never approximated.</summary>
    bool Supports(Op op);

    /// <summary>Binds <paramref name="op"/> to its parameters (checked against the op's parameter shapes).</summary>
    IPreparedOp Prepare(Op op, params Tensor[] parameters);

    /// <summary>
    /// The backend for weights that change between runs (a training step, and a shot's prediction
    /// by the weights just trained): the same memory and device, with each op prepared for one run,
    /// so an algorithm that pays for its weight preparation only over many frames is not chosen
    /// where it cannot. Most backends are that already.
    /// </summary>
    IBackend ForTraining() => this;

    /// <summary>
    /// Of <paramref name="bytes"/> wanted for tensors a stage keeps across many runs (a shot's frames,
    /// which its training reads every epoch), how many to keep in this backend's memory, the rest going
    /// to disk: all of them where that memory is the host's (which --memory-mb bounds); on a GPU, no
    /// more than a share of the device memory free now, so the work that follows has room.
    /// </summary>
    long KeepBudget(long bytes) => bytes;
    /// <summary>
    /// Of <paramref name="bytes"/> wanted for one frame's working memory in a network that can take
    /// the frame in tiles (DnCNN's feature maps), how many to take: no more than half the memory free
    /// now where the tensors live (the host's, <see cref="HostMemory"/>, below what a restore's memory
    /// plan gives; a GPU's), so a frame larger than the memory holds goes through in tiles instead of
    /// failing, whoever calls (the C ABI and <c>reel infer</c> have no plan).
    /// </summary>
    long WorkingBudget(long bytes) => Math.Min(bytes, HostMemory.AvailableBytes / 2);
    /// <summary>
    /// How this backend computes <paramref name="op"/> on a first activation of shape <paramref name="input"/>,
    /// for reports (<c>reel bench</c>'s path column): a convolution's algorithm, once chosen; empty where it has
    /// no choice to report.
    /// </summary>
    string Describe(Op op, Shape input) => "";
    /// <summary>The memory <see cref="WorkingBudget"/> measures, as a run's notes name it.</summary>
    string WorkingMemory => "the host's free memory";

    /// <summary>A tensor of zeros in this backend's memory (the host's for a CPU backend), owned by the caller.</summary>
    Tensor Zeros(Shape shape) => new(shape);

    /// <summary>
    /// <paramref name="t"/>'s values in this backend's memory, for the caller to dispose: t itself (or a
    /// view of it) when it is there already, else a copy. Disposing the result never frees t.
    /// </summary>
    Tensor Import(Tensor t) => t.ToHost();

    /// <summary>
    /// <paramref name="body"/> (inputs → outputs) as work to be run many times with the same shapes, which
    /// a GPU backend records once per set of input shapes and replays, unless told to run it op by op
    /// (REEL_CUDA_GRAPHS=0) (<see cref="IRepeatedWork"/> says what the body may do). The caller owns the result and disposes it before the tensors the body uses.
    /// </summary>
    IRepeatedWork Repeat(Func<Tensor[], Tensor[]> body) => new EagerWork(body);

    /// <summary>Memory this backend recycles across the repetitions of a piece of work (a training step).</summary>
    IWorkspace CreateWorkspace() => new TensorArena();

    /// <summary>
    /// Throws a <see cref="ReelException"/> naming <paramref name="where"/> if any element of
    /// <paramref name="t"/> is NaN or infinite. A GPU backend checks on the device and may report it
    /// at the next point where the host waits for the device rather than at once.
    /// </summary>
    void EnsureFinite(Tensor t, string where) => t.EnsureFinite(where);

    /// <summary>Waits until the work given so far is done (a GPU computes asynchronously; a CPU backend has finished already).</summary>
    void Synchronize()
    {
    }

    /// <summary>
    /// Starts bringing <paramref name="t"/>'s values to the host and returns without waiting for them:
    /// on a GPU the copy is queued behind the work that makes t, and the read's
    /// <see cref="IPendingRead.Wait"/> waits for that copy only, not for work queued after it (a training
    /// loop reads one step's loss while the next step runs). A CPU backend's values are ready at once.
    /// The caller may dispose t as soon as this returns.
    /// </summary>
    IPendingRead ReadLater(Tensor t) => new ReadyRead(t.ToHost().Span.ToArray());

    /// <summary>
    /// Runs <paramref name="work"/> and returns the device's own milliseconds for what it enqueued
    /// (marks recorded on the device before and after, waited for), or null on a backend with no
    /// device clock: a CPU backend's work is done when the call returns, so the host's clock times it.
    /// </summary>
    double? TimeOnDevice(Action work)
    {
        using var before = Mark();
        work();
        using var after = Mark();
        if (before is null || after is null) return null;
        double ms = after.MillisecondsSince(before);
        Synchronize();
        return ms;
    }

    /// <summary>A mark on the device's timeline behind the work queued so far, or null on a backend with no device clock (a CPU's).</summary>
    IDeviceMark? Mark() => null;
}
