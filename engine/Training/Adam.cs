using Reel.Engine.Backends;
using Reel.Engine.Backends.Cpu;
using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Engine.Training;

/// <summary>
/// The Adam optimizer's state and schedule (PyTorch's torch.optim.Adam, no weight decay, no amsgrad):
/// hyper-parameters, the step count and each parameter's moments m and v, kept where the backend
/// computes. The update itself is the backend's <see cref="AdamStepOp"/>.
/// </summary>
public sealed class Adam : IDisposable
{
    private readonly Dictionary<string, (Tensor M, Tensor V)> _state = new();
    private readonly IBackend _backend;

    /// <param name="backend">Where the parameters, gradients and moments live and the update runs (default: the fast CPU path).</param>
    public Adam(float learningRate = 1e-4f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, IBackend? backend = null)
    {
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        _backend = backend ?? FastBackend.Instance;
    }

    /// <summary>The step size lr (the prior's is 1e-4, specs/models.md §3).</summary>
    public float LearningRate { get; }
    /// <summary>Decay of the first moment, the gradients' running mean.</summary>
    public float Beta1 { get; }
    /// <summary>Decay of the second moment, the squared gradients' running mean.</summary>
    public float Beta2 { get; }
    /// <summary>Added to the second moment's root so a parameter with no gradient yet does not divide by zero.</summary>
    public float Epsilon { get; }
    /// <summary>Steps taken so far; the bias corrections use it (the next step is Steps + 1).</summary>
    public int Steps { get; private set; }

    /// <summary>One step over every parameter that has a gradient, each updated in place.</summary>
    public void Step(IReadOnlyDictionary<string, Tensor> parameters, IReadOnlyDictionary<string, Tensor> gradients)
    {
        using var corrections = NextStep();
        Apply(parameters, gradients, corrections);
    }

    /// <summary>
    /// Counts a step and returns its bias corrections (a host tensor for <see cref="Apply"/>). Split from
    /// the update so a recorded training step, which cannot count on the host when it is replayed, takes
    /// them as an input.
    /// </summary>
    public Tensor NextStep() => Update.Corrections(++Steps);

    /// <summary>The update of every parameter that has a gradient, in place, with the step's <paramref name="corrections"/> (<see cref="NextStep"/>).</summary>
    public void Apply(IReadOnlyDictionary<string, Tensor> parameters, IReadOnlyDictionary<string, Tensor> gradients, Tensor corrections)
    {
        using var update = _backend.Prepare(Update);
        using var c = _backend.Import(corrections);
        foreach (var (name, p) in parameters)
        {
            if (!gradients.TryGetValue(name, out var g)) continue;
            if (!_state.TryGetValue(name, out var st)) _state[name] = st = (_backend.Zeros(p.Shape), _backend.Zeros(p.Shape));
            update.RunInto(p, p, g, st.M, st.V, c);
        }
    }

    /// <summary>Each parameter's moments (m, v) by name, where the backend keeps them; none before the first step.</summary>
    public IReadOnlyDictionary<string, (Tensor M, Tensor V)> Moments => _state;

    /// <summary>
    /// Takes up a saved optimizer (<see cref="Steps"/> and <see cref="Moments"/> as they were), before any step of its own:
    /// a recorded step keeps the moments it was recorded with, so they cannot be replaced under it later.
    /// </summary>
    public void Resume(int steps, IReadOnlyDictionary<string, (Tensor M, Tensor V)> moments)
    {
        if (Steps != 0 || _state.Count != 0) throw new InvalidOperationException("an optimizer resumes before its first step");
        Steps = steps;
        foreach (var (name, (m, v)) in moments) _state[name] = (_backend.Import(m), _backend.Import(v));
    }

    private AdamStepOp Update => new(LearningRate, Beta1, Beta2, Epsilon);

    /// <summary>Frees the moments (device memory on a GPU backend).</summary>
    public void Dispose()
    {
        foreach (var (m, v) in _state.Values)
        {
            m.Dispose();
            v.Dispose();
        }
        _state.Clear();
    }
}
