namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>
/// A CUDA, NVRTC or cuDNN call that failed: names the call, the status and the
/// library's own message. A user-level error (no GPU, driver too old, out of memory) so the
/// CLI prints it as one line.
/// </summary>
public sealed class CudaException : ReelException
{
    /// <summary>The failure of <paramref name="call"/> with the library's <paramref name="status"/> and its <paramref name="message"/> for it.</summary>
    public CudaException(string call, int status, string message)
        : base($"{call} failed: {message} (status {status})")
    {
        Call = call;
        Status = status;
    }

    /// <summary>The function that failed ("cuMemAlloc").</summary>
    public string Call { get; }

    /// <summary>The status it returned (CUresult, nvrtcResult or cudnnStatus_t).</summary>
    public int Status { get; }
}
