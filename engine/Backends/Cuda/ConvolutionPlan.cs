namespace Reel.Engine.Backends.Cuda;

/// <summary>What a plan runs: the chosen algorithm and the workspace it needs.</summary>
internal sealed record ConvolutionPlan(int Algorithm, long WorkspaceBytes, bool FusedBiasActivation);
