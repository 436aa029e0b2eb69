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

    /// <summary>
    /// Whether cuDNN's <paramref name="algorithm"/> for <paramref name="direction"/> sums the products of the
    /// operands as they are (implicit, precomputed-index and explicit GEMM, and forward's direct), rather than
    /// of their FFT or Winograd transforms: cudnnConvolutionFwdAlgo_t 0–3, BwdDataAlgo 0–1 (ALGO_0, ALGO_1),
    /// BwdFilterAlgo 0, 1 and 3 (ALGO_0, ALGO_1, ALGO_3; 2 is FFT, 4 and 5 Winograd, 6 FFT_TILING).
    /// </summary>
    public static bool SumsDirectly(ConvolutionDirection direction, int algorithm) => direction switch
    {
        ConvolutionDirection.Forward => algorithm is >= 0 and <= 3,
        ConvolutionDirection.BackwardData => algorithm is 0 or 1,
        _ => algorithm is 0 or 1 or 3,
    };

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

/// <summary>The three cuDNN convolution calls, whose algorithms are numbered separately.</summary>
internal enum ConvolutionDirection { Forward, BackwardData, BackwardFilter }
