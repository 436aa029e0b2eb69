namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// The choice made once per (op, input shape): cuDNN lists algorithms fastest first (measured
/// by cudnnFind*, or estimated by cudnnGet*_v7); take the first that succeeded and whose
/// workspace fits the budget. The fused bias+ReLU call is used only when IMPLICIT_PRECOMP_GEMM is the
/// pick (the algorithm cuDNN documents it with; it may accept others for a ReLU), the separate epilogue
/// kernel otherwise, and also where cuDNN refuses the fused call for the layer.
/// </summary>
internal static class ConvolutionPlanner
{
    public const int ImplicitPrecompGemm = 1;

    public static ConvolutionPlan Choose(IReadOnlyList<AlgorithmCandidate> candidates, long workspaceBudgetBytes, bool wantsBiasRelu)
    {
        foreach (var c in candidates)
        {
            if (c.Status != 0 || c.WorkspaceBytes > workspaceBudgetBytes) continue;
            return new ConvolutionPlan(c.Algorithm, c.WorkspaceBytes, wantsBiasRelu && c.Algorithm == ImplicitPrecompGemm, c.MathType);
        }
        var offered = string.Join(", ", candidates.Select(c => $"algo {c.Algorithm} (status {c.Status}, {c.WorkspaceBytes >> 20} MiB)"));
        throw new ReelException($"no cuDNN convolution algorithm fits the {workspaceBudgetBytes >> 20} MiB workspace budget (offered: {offered})");
    }
}
