using System.Runtime.Intrinsics;
using Reel.Engine.Tensors;

namespace Reel.Engine.Training;

/// <summary>
/// Adam with PyTorch's exact update (torch.optim.Adam, no weight decay, no amsgrad):
/// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε).
/// Bias corrections are computed in double as Python does, the tensor math in float32.
/// </summary>
public sealed class Adam
{
    private readonly Dictionary<string, (Tensor M, Tensor V)> _state = new();

    public Adam(float learningRate = 1e-4f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    public float LearningRate { get; }
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public int Steps { get; private set; }

    /// <summary>One step over every parameter that has a gradient.</summary>
    public void Step(IReadOnlyDictionary<string, Tensor> parameters, IReadOnlyDictionary<string, Tensor> gradients)
    {
        Steps++;
        double bc1 = 1 - Math.Pow(Beta1, Steps), bc2 = 1 - Math.Pow(Beta2, Steps);
        float stepSize = (float)(LearningRate / bc1);
        float bc2Sqrt = (float)Math.Sqrt(bc2);
        float b1 = Beta1, b2 = Beta2, oneMinusB1 = 1 - Beta1, oneMinusB2 = 1 - Beta2, eps = Epsilon;
        foreach (var (name, p) in parameters)
        {
            if (!gradients.TryGetValue(name, out var g)) continue;
            if (!_state.TryGetValue(name, out var st)) _state[name] = st = (new Tensor(p.Shape), new Tensor(p.Shape));
            var pd = p.Data;
            var gd = g.Data;
            var m = st.M.Data;
            var v = st.V.Data;
            Parallel.For(0, (p.Length + 65535) / 65536, chunk =>
            {
                int end = Math.Min(p.Length, (chunk + 1) * 65536), i = chunk * 65536;
                // The same float operations in the same order as the scalar loop below, 8 at a time
                // (separate multiply and add: no FMA contraction, so the result is bit-identical).
                var vb1 = Vector256.Create(b1);
                var vb2 = Vector256.Create(b2);
                var v1 = Vector256.Create(oneMinusB1);
                var v2 = Vector256.Create(oneMinusB2);
                var vbc = Vector256.Create(bc2Sqrt);
                var veps = Vector256.Create(eps);
                var vstep = Vector256.Create(stepSize);
                for (; i + 8 <= end; i += 8)
                {
                    var gi = Vector256.Create<float>(gd.AsSpan(i, 8));
                    var mi = Vector256.Create<float>(m.AsSpan(i, 8)) * vb1 + gi * v1;
                    var vi = Vector256.Create<float>(v.AsSpan(i, 8)) * vb2 + gi * gi * v2;
                    var denom = Vector256.Sqrt(vi) / vbc + veps;
                    var pi = Vector256.Create<float>(pd.AsSpan(i, 8)) - vstep * (mi / denom);
                    mi.CopyTo(m.AsSpan(i, 8));
                    vi.CopyTo(v.AsSpan(i, 8));
                    pi.CopyTo(pd.AsSpan(i, 8));
                }
                for (; i < end; i++)
                {
                    m[i] = m[i] * b1 + gd[i] * oneMinusB1;
                    v[i] = v[i] * b2 + gd[i] * gd[i] * oneMinusB2;
                    float denom = MathF.Sqrt(v[i]) / bc2Sqrt + eps;
                    pd[i] -= stepSize * (m[i] / denom);
                }
            });
        }
    }
}
