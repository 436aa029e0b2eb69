using Reel.Engine.Tensors;

namespace Reel.Engine.Metrics;

/// <summary>
/// Temporal flicker: the frame-to-frame change of a sequence beyond the input's own change,
/// mean over frames t ≥ 1 and all elements of |(Y_t − Y_{t−1}) − (X_t − X_{t−1})|, in [0, 1]
/// units. Motion in the input is not counted; a colour that pulses from frame to frame is.
/// </summary>
public static class Flicker
{
    public static double Measure(IReadOnlyList<Tensor> output, IReadOnlyList<Tensor> input)
    {
        if (output.Count != input.Count || output.Count < 2)
            throw new ArgumentException($"flicker needs two sequences of equal length ≥ 2, got {output.Count} and {input.Count}");
        double total = 0;
        long count = 0;
        for (int t = 1; t < output.Count; t++)
        {
            var (y0, y1, x0, x1) = (output[t - 1], output[t], input[t - 1], input[t]);
            if (!y1.Shape.Equals(x1.Shape)) throw new ArgumentException($"frame {t}: output {y1.Shape} vs input {x1.Shape}");
            for (int i = 0; i < y1.Length; i++)
                total += Math.Abs((y1.Data[i] - y0.Data[i]) - (x1.Data[i] - x0.Data[i]));
            count += y1.Length;
        }
        return total / count;
    }
}
