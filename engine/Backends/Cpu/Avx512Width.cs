using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The 512-bit width (AVX-512: 16 floats, 32 zmm registers) of the width-generic kernels. On a CPU
/// without it .NET emulates Vector512 with two 256-bit halves, slowly but with the same bits, which
/// is how the tests run this width's kernels on an AVX2 machine.
/// </summary>
// SAFETY: loads and stores exactly Count floats at the caller's pointer (LoadOneAndTwoOn: at p + 1, p + 2); the caller bounds it.
internal readonly unsafe struct Avx512Width : ISimdWidth<Vector512<float>>
{
    public static int Count => 16;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float x) => Vector512.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    /// <summary>
    /// Cut from the two vectors with valignd, instead of loads that would straddle cache lines;
    /// emulated, unaligned loads of the same floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> OneOn, Vector512<float> TwoOn) LoadOneAndTwoOn(float* p, Vector512<float> at, Vector512<float> after) =>
        Avx512F.IsSupported
            ? (Avx512F.AlignRight32(after.AsUInt32(), at.AsUInt32(), 1).AsSingle(), Avx512F.AlignRight32(after.AsUInt32(), at.AsUInt32(), 2).AsSingle())
            : (Vector512.Load(p + 1), Vector512.Load(p + 2));
}
