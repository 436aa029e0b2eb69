using Reel.Engine.Tensors;

namespace Reel.Engine.Pipeline;

/// <summary>
/// Where finished frames go, in order, as soon as they are done (nothing is held for the whole
/// sequence). Nothing appears at the destination until <see cref="Complete"/>; disposing an
/// incomplete sink removes what it wrote.
/// </summary>
public interface IFrameSink : IDisposable
{
    /// <summary>Writes the next frame, (1, C, H, W) in [0, 1]; the sink does not keep or dispose it.</summary>
    /// <param name="ptsNs">The frame's presentation time (ns from the first frame); a folder ignores it.</param>
    void Write(Tensor frame, long ptsNs);
    /// <summary>Checks what was written and moves it into place; cancelling stops the writer.</summary>
    void Complete(CancellationToken cancel = default);
}
