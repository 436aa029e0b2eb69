using Reel.Engine.Ops;
using Reel.Engine.Tensors;

namespace Reel.Cli.Commands;

/// <summary>
/// Random inputs each op is defined on, for the self-test and the backend-ops test: values in
/// [−1, 1], except where an op needs more — logits spread to ±8, images in [0, 1] (a little past both ends for the 8-bit luma, which clips), Lab in its
/// range (a recoloured frame's a, b up to ±100), moments' planes offset to 40 ± 1/64, Adam's second moment ≥ 0 and its bias corrections those of a step 1…10, the loss's input frame in [0, 1] (so I + 0.1 is never near 0),
/// max-pool inputs rounded to halves so windows have ties, two frames of a moving texture for the
/// optical flow, displacements of a few pixels for warps, confidences in [0, 1] — and weights scaled
/// by 1/√fan-in (a chain's, layer by layer).
/// </summary>
public static class SelfTestInputs
{
    public static Tensor[] Activations(Op op, IReadOnlyList<Shape> shapes, Random rng)
    {
        if (op is OpticalFlowOp) return FramePairs(shapes[0], rng);
        var inputs = shapes.Select((s, i) => Uniform(s, rng, op switch
        {
            AnnealedMeanOp => 8f,
            FuseDistributionsOp when i < 2 => 8f,
            WarpOp when i == 1 => 6f,
            FlowCheckOp => 3f,
            _ => 1f,
        })).ToArray();
        switch (op)
        {
            case ScreenedPoissonOp or FuseDistributionsOp:
                Map(inputs[2], Math.Abs);
                break;
            case ModeHoldOp hold:
            {
                // Confidences either side of ½, and counts of frames held from 0 to the patience, so every branch is taken.
                Map(inputs[2], Math.Abs);
                var state = inputs[1];
                int plane = state.Shape.H * state.Shape.W, channels = state.Shape.C;
                for (int n = 0; n < state.Shape.N; n++)
                for (int i = 0; i < plane; i++)
                {
                    ref float count = ref state.Data[(n * channels + channels - 1) * plane + i];
                    count = MathF.Floor((count + 1) / 2 * (hold.Patience + 1));
                }
                break;
            }
            case AdamStepOp adam:
                Map(inputs[3], v => Math.Abs(v) * 1e-3f);
                adam.Corrections(1 + rng.Next(10)).Span.CopyTo(inputs[4].Span);
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
            case ChannelMomentsOp:
                // A faint plane far from zero (a chroma plane with a colour cast), where a one-pass variance cancels.
                Map(inputs[0], v => 40 + v / 64);
                break;
            case RecolorOp:
                Map(inputs[0], v => (v + 1) / 2);
                Map(inputs[1], v => v * 100);
                break;
            case Luma8Op:
                Map(inputs[0], v => (v * 1.2f + 1) / 2);
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
        ConvChainOp chain => chain.Layers.SelectMany(layer => Parameters(layer, rng)).ToArray(),
        ConvTranspose2dOp t => op.ParameterShapes.Select((s, i) => Uniform(s, rng, i == 0 ? 1f / MathF.Sqrt(t.InChannels * t.Kernel * t.Kernel) : 0.5f)).ToArray(),
        _ => op.ParameterShapes.Select(s => Uniform(s, rng, 1f)).ToArray(),
    };

    /// <summary>(N, 1, H, W) frame pairs for the optical flow: each second frame the first shifted (see <see cref="ShiftedNoisePair"/>).</summary>
    private static Tensor[] FramePairs(Shape s, Random rng)
    {
        var (a, b) = (new Tensor(s), new Tensor(s));
        for (int n = 0; n < s.N; n++)
        {
            var (fa, fb) = ShiftedNoisePair(rng, s.W, s.H);
            fa.Data.CopyTo(a.Data, n * s.H * s.W);
            fb.Data.CopyTo(b.Data, n * s.H * s.W);
        }
        return new[] { a, b };
    }

    /// <summary>Two (1, 1, H, W) frames of a smooth random texture quantized to 8 bits, the second shifted by (1.6, −0.8) pixels.</summary>
    public static (Tensor A, Tensor B) ShiftedNoisePair(Random rng, int width, int height)
    {
        const int big = 4;
        int gw = width / big + 3, gh = height / big + 3;
        var grid = new double[gh, gw];
        for (int i = 0; i < gh; i++)
        for (int j = 0; j < gw; j++) grid[i, j] = rng.NextDouble();
        double Sample(double x, double y)
        {
            x = Math.Clamp(x / big, 0, gw - 1.001);
            y = Math.Clamp(y / big, 0, gh - 1.001);
            int x0 = (int)x, y0 = (int)y;
            double fx = x - x0, fy = y - y0;
            return (grid[y0, x0] * (1 - fx) + grid[y0, x0 + 1] * fx) * (1 - fy) + (grid[y0 + 1, x0] * (1 - fx) + grid[y0 + 1, x0 + 1] * fx) * fy;
        }
        var a = new Tensor(new Shape(1, 1, height, width));
        var b = new Tensor(new Shape(1, 1, height, width));
        for (int i = 0; i < height; i++)
        for (int j = 0; j < width; j++)
        {
            a.Data[i * width + j] = MathF.Round((float)Sample(j, i) * 255) / 255;
            b.Data[i * width + j] = MathF.Round((float)Sample(j - 1.6, i + 0.8) * 255) / 255;
        }
        return (a, b);
    }

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
