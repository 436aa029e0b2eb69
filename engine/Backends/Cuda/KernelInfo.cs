namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// One extern "C" kernel: its file, name, parameter kinds (ptr, int, long, float) and which
/// parameters are pointers to const (read only; the emulator orders the others as writes).
/// </summary>
internal sealed record KernelInfo(string File, string Name, IReadOnlyList<string> Parameters, IReadOnlyList<bool> ReadOnly)
{
    public string Signature => string.Join(',', Parameters);
}
