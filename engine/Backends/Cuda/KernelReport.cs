namespace Reel.Engine.Backends.Cuda;

/// <summary>One kernel on one architecture: did NVRTC compile it, and ptxas's resource report when ptxas was found.</summary>
public sealed record KernelReport(string Name, string File, int Arch, bool Compiled, int? Registers, int? SpillBytes, int? SharedBytes, string? Error);
