namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>
/// A CUDA, NVRTC, cuDNN or cuBLAS call that failed: names the call, the status and the
/// library's own message. A user-level error (no GPU, driver too old, out of memory) so the
/// CLI prints it as one line.
/// </summary>
public sealed class CudaException : ReelException
{
    public CudaException(string call, int status, string message)
        : base($"{call} failed: {message} (status {status})")
    {
        Call = call;
        Status = status;
    }

    public string Call { get; }
    public int Status { get; }
}
