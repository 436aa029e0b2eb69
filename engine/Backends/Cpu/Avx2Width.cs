using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Reel.Engine.Backends.Cpu;

/// <summary>The 256-bit width (AVX2: 8 floats, 16 ymm registers) of the width-generic kernels.</summary>
// SAFETY: loads and stores exactly Count floats at the caller's pointer (LoadOneAndTwoOn: at p + 1, p + 2); the caller bounds it.
internal readonly unsafe struct Avx2Width : ISimdWidth<Vector256<float>>
{
    public static int Count => 8;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float x) => Vector256.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Sgemm.Fmadd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    /// <summary>Two unaligned loads: AVX2 has no two-register align across its 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> OneOn, Vector256<float> TwoOn) LoadOneAndTwoOn(float* p, Vector256<float> at, Vector256<float> after) =>
        (Vector256.Load(p + 1), Vector256.Load(p + 2));
}
