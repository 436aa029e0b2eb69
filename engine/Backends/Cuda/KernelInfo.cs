namespace Reel.Engine.Backends.Cuda;

/// <summary>One extern "C" kernel: its file, name and parameter kinds (ptr, int, long, float).</summary>
internal sealed record KernelInfo(string File, string Name, IReadOnlyList<string> Parameters)
{
    public string Signature => string.Join(',', Parameters);
}
