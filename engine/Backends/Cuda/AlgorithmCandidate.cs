namespace Reel.Engine.Backends.Cuda;

/// <summary>One algorithm cuDNN offered for a convolution, as its *AlgoPerf_t reports it: the math type it was timed with, and whether it is deterministic.</summary>
internal readonly record struct AlgorithmCandidate(int Algorithm, int Status, float TimeMs, long WorkspaceBytes, int MathType = 0, bool Deterministic = true);
