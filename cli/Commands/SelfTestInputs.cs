using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Cli.Commands;

/// <summary>
/// Random inputs each op is defined on, for the self-test and the backend-ops test: values in
/// [−1, 1], except where an op needs more — logits spread to ±8, images in [0, 1], Lab in its
/// range, Adam's second moment ≥ 0, the loss's input frame in [0, 1] (so I + 0.1 is never near 0),
/// max-pool inputs rounded to halves so windows have ties — and weights scaled by 1/√fan-in.
/// </summary>
public static class SelfTestInputs
{
    public static Tensor[] Activations(Op op, IReadOnlyList<Shape> shapes, Random rng)
    {
        var inputs = shapes.Select(s => Uniform(s, rng, op is AnnealedMeanOp ? 8f : 1f)).ToArray();
        switch (op)
        {
            case AdamStepOp:
                Map(inputs[3], v => Math.Abs(v) * 1e-3f);
                break;
            case PriorLossOp or PriorLossBackwardOp:
                Map(inputs[1], v => (v + 1) / 2);
                break;
            case MaxPool2dBackwardOp or MaxPool2dOp:
                Map(inputs[0], v => MathF.Round(v * 2) / 2);
                break;
            case RgbToLabOp or ResizeBicubicOp:
                Map(inputs[0], v => (v + 1) / 2);
                break;
            case LabToRgbOp:
            {
                var t = inputs[0];
                int plane = t.Shape.H * t.Shape.W;
                for (int i = 0; i < t.Length; i++) t.Data[i] = i / plane % 3 == 0 ? (t.Data[i] + 1) * 50 : t.Data[i] * 100;
                break;
            }
        }
        return inputs;
    }

    public static Tensor[] Parameters(Op op, Random rng) => op switch
    {
        AnnealedMeanOp => op.ParameterShapes.Select(s => Uniform(s, rng, 110f)).ToArray(),
        Conv2dOp c => op.ParameterShapes.Select((s, i) => Uniform(s, rng, i == 0 ? 1f / MathF.Sqrt(c.InChannels * c.KernelH * c.KernelW) : 0.5f)).ToArray(),
        Conv2dBackwardDataOp d => new[] { Uniform(op.ParameterShapes[0], rng, 1f / MathF.Sqrt(d.Forward.InChannels * d.Forward.KernelH * d.Forward.KernelW)) },
        ConvTranspose2dOp t => op.ParameterShapes.Select((s, i) => Uniform(s, rng, i == 0 ? 1f / MathF.Sqrt(t.InChannels * t.Kernel * t.Kernel) : 0.5f)).ToArray(),
        _ => op.ParameterShapes.Select(s => Uniform(s, rng, 1f)).ToArray(),
    };

    private static Tensor Uniform(Shape s, Random rng, float scale)
    {
        var t = new Tensor(s);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return t;
    }

    private static void Map(Tensor t, Func<float, float> f)
    {
        for (int i = 0; i < t.Length; i++) t.Data[i] = f(t.Data[i]);
    }
}
