using System.Runtime.Intrinsics;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The lanes of a Vector256 that a red-black sweep updates: 8 pixels starting at an even column of
/// row i, red where (i + j) is even. The vector SOR kernels compute all 8 and keep the other colour's
/// lanes as they were (their neighbours are all of the sweep's colour, so no lane reads another's write).
/// </summary>
internal static class RedBlackLanes
{
    private static readonly Vector256<float> Even = Vector256.Create(-1, 0, -1, 0, -1, 0, -1, 0).AsSingle();
    private static readonly Vector256<float> Odd = Vector256.Create(0, -1, 0, -1, 0, -1, 0, -1).AsSingle();

    /// <summary>All-ones in the lanes of row i's <paramref name="red"/> (or black) pixels, for a run starting at an even column.</summary>
    public static Vector256<float> Of(int i, bool red) => ((i & 1) == 0) == red ? Even : Odd;

    /// <summary>The first column ≥ j of row i in the sweep's colour (for the scalar tail after the vectors).</summary>
    public static int FirstAtOrAfter(int j, int i, bool red) => j + ((i + j + (red ? 0 : 1)) & 1);
}
