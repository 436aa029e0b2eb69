using Reel.Engine.Tensors;

namespace Reel.Engine.Metrics;

/// <summary>
/// Temporal flicker: the frame-to-frame change of a sequence beyond the input's own change,
/// mean over frames t ≥ 1 and all elements of |(Y_t − Y_{t−1}) − (X_t − X_{t−1})|, in [0, 1]
/// units. Motion in the input is not counted; a colour that pulses from frame to frame is.
/// </summary>
public static class Flicker
{
    /// <summary>The mean flicker of <paramref name="output"/> over its consecutive pairs, against the change in <paramref name="input"/>.</summary>
    public static double Measure(IReadOnlyList<Tensor> output, IReadOnlyList<Tensor> input)
    {
        if (output.Count != input.Count || output.Count < 2)
            throw new ArgumentException($"flicker needs two sequences of equal length ≥ 2, got {output.Count} and {input.Count}");
        double total = 0;
        long count = 0;
        for (int t = 1; t < output.Count; t++)
        {
            if (!output[t].Shape.Equals(input[t].Shape)) throw new ArgumentException($"frame {t}: output {output[t].Shape} vs input {input[t].Shape}");
            total += StepSum(output[t - 1], output[t], input[t - 1], input[t]);
            count += output[t].Length;
        }
        return total / count;
    }

    /// <summary>Σ |(y1 − y0) − (x1 − x0)| over one pair of consecutive frames: the formula's only copy.</summary>
    internal static double StepSum(Tensor y0, Tensor y1, Tensor x0, Tensor x1)
    {
        double sum = 0;
        for (int i = 0; i < y1.Length; i++)
            sum += Math.Abs((y1.Data[i] - y0.Data[i]) - (x1.Data[i] - x0.Data[i]));
        return sum;
    }
}
