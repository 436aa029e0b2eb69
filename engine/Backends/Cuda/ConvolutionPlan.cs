namespace Reel.Engine.Backends.Cuda;

/// <summary>What a plan runs: the chosen algorithm and the workspace it needs.</summary>
public sealed record ConvolutionPlan(int Algorithm, long WorkspaceBytes, bool FusedBiasActivation);
