using Reel.Engine.Tensors;

namespace Reel.Tests.Support;

/// <summary>
/// The one tolerance policy: |a − e| ≤ atol + rtol·|e| elementwise, NaN never equal.
/// Returns the max absolute error so tests can report it.
/// </summary>
public static class Tolerance
{
    public static double AssertClose(Tensor expected, Tensor actual, double atol, double rtol, string what, bool report = true)
    {
        Assert.True(expected.Shape.Equals(actual.Shape), $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        double maxErr = 0;
        int worst = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected.Data[i], a = actual.Data[i];
            double err = Math.Abs(a - e);
            if (double.IsNaN(err)) Assert.Fail($"{what}: NaN at {i} (expected {e}, got {a})");
            if (err > maxErr) { maxErr = err; worst = i; }
            if (err > atol + rtol * Math.Abs(e))
                Assert.Fail($"{what}: element {i} is {a}, expected {e} (|err| {err:G3} > {atol:G3} + {rtol:G3}·|e|)");
        }
        if (report) Console.WriteLine($"{what}: max |err| = {maxErr:G3}{(worst >= 0 ? $" at {worst}" : "")}");
        return maxErr;
    }
}
