namespace Reel.Engine.Backends.Cuda;

/// <summary>What a plan runs: the chosen algorithm, the workspace it needs, and the math type to run it with.</summary>
internal sealed record ConvolutionPlan(int Algorithm, long WorkspaceBytes, bool FusedBiasActivation, int MathType = 0);
