namespace Reel.Engine.Backends.Cuda;

/// <summary>One algorithm cuDNN offered for a convolution, as its *AlgoPerf_t reports it.</summary>
internal readonly record struct AlgorithmCandidate(int Algorithm, int Status, float TimeMs, long WorkspaceBytes);
