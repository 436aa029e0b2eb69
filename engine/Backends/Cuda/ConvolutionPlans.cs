using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Backends.Cuda;

/// <summary>One algorithm cuDNN offered for a convolution, as its *AlgoPerf_t reports it.</summary>
public readonly record struct AlgorithmCandidate(int Algorithm, int Status, float TimeMs, long WorkspaceBytes);

/// <summary>What a plan runs: the chosen algorithm and the workspace it needs.</summary>
public sealed record ConvolutionPlan(int Algorithm, long WorkspaceBytes, bool FusedBiasActivation);

/// <summary>
/// The choice made once per (op, input shape): cuDNN lists algorithms fastest first (measured
/// by cudnnFind*, or estimated by cudnnGet*_v7); take the first that succeeded and whose
/// workspace fits the budget. The fused bias+ReLU call only accepts IMPLICIT_PRECOMP_GEMM, so
/// it is used when that algorithm is the pick, and the separate epilogue kernel otherwise.
/// </summary>
public static class ConvolutionPlanner
{
    public const int ImplicitPrecompGemm = 1;

    public static ConvolutionPlan Choose(IReadOnlyList<AlgorithmCandidate> candidates, long workspaceBudgetBytes, bool wantsBiasRelu)
    {
        foreach (var c in candidates)
        {
            if (c.Status != 0 || c.WorkspaceBytes > workspaceBudgetBytes) continue;
            return new ConvolutionPlan(c.Algorithm, c.WorkspaceBytes, wantsBiasRelu && c.Algorithm == ImplicitPrecompGemm);
        }
        var offered = string.Join(", ", candidates.Select(c => $"algo {c.Algorithm} (status {c.Status}, {c.WorkspaceBytes >> 20} MiB)"));
        throw new ReelException($"no cuDNN convolution algorithm fits the {workspaceBudgetBytes >> 20} MiB workspace budget (offered: {offered})");
    }
}

/// <summary>
/// Plans computed once per key and reused: conv plans per (op, input shape), graphs per frame
/// shape. Counts hits and misses so tests (and `reel bench`) can see that planning ran once.
/// </summary>
public sealed class PlanCache<TKey, TPlan> where TKey : notnull
{
    private readonly Dictionary<TKey, TPlan> _plans = new();
    private readonly object _gate = new();

    public int Hits { get; private set; }
    public int Misses { get; private set; }
    public int Count
    {
        get { lock (_gate) return _plans.Count; }
    }

    public TPlan GetOrCreate(TKey key, Func<TKey, TPlan> create)
    {
        lock (_gate)
        {
            if (_plans.TryGetValue(key, out var plan))
            {
                Hits++;
                return plan;
            }
            Misses++;
            plan = create(key);
            _plans[key] = plan;
            return plan;
        }
    }

    /// <summary>The values, for disposal by the owner.</summary>
    public IReadOnlyList<TPlan> Values
    {
        get { lock (_gate) return _plans.Values.ToArray(); }
    }
}

/// <summary>The key of a conv plan: the op (with all its parameters), the input shape, and whether the operands are bfloat16.</summary>
public readonly record struct ConvolutionKey(Op Op, Shape Input, bool Bf16);

/// <summary>
/// Convolutions (forward and the two gradients) and pooling on device memory. <see cref="CudnnConvolutions"/> is the GPU one;
/// tests use a host implementation over the emulator's memory to exercise the backend's
/// orchestration (the cuDNN calls themselves cannot run without a GPU).
/// </summary>
public interface IConvolutionEngine : IDisposable
{
    string Name { get; }

    /// <summary>The arithmetic of the convolutions (the host engine computes in fp32).</summary>
    Precision Precision { get; }
    bool Supports(Op op);

    /// <summary>
    /// Chooses and caches the plan for (op, input) and allocates its workspace now, so that a
    /// later <see cref="Run"/> inside graph capture makes no allocation (not allowed while capturing).
    /// </summary>
    void Prepare(Op op, Shape input);

    /// <summary>y = op(x) with the op's bias and activation, all (N, C, H, W) float on the device.</summary>
    void Run(Op op, Shape input, DevicePtr x, DevicePtr weight, DevicePtr bias, DevicePtr y, GpuStream? stream = null);

    /// <summary>Training: dx (the forward's input shape <paramref name="input"/>) from dy and the weights, written over.</summary>
    void BackwardData(Conv2dOp op, Shape input, DevicePtr dy, DevicePtr weight, DevicePtr dx, GpuStream? stream = null);

    /// <summary>Training: dW (Cout, Cin, KH, KW) from the forward's input x and dy, written over.</summary>
    void BackwardFilter(Conv2dOp op, Shape input, DevicePtr x, DevicePtr dy, DevicePtr dw, GpuStream? stream = null);
}
