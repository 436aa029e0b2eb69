using System.Runtime.Intrinsics;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// One SIMD width of float vectors (<see cref="Vector256{T}"/> or <see cref="Vector512{T}"/>), so a
/// kernel whose AVX2 and AVX-512 forms differ only in width is written once, generic over a struct
/// that implements this (as TensorPrimitives' operators are). The JIT compiles each struct
/// instantiation on its own and inlines these static members, so a generic kernel is the code a
/// hand-written one for that width would be; the constants (<see cref="Count"/>) fold, and a kernel's
/// branches on them vanish from the other width's code.
/// </summary>
// SAFETY: declares pointer loads and stores; each kernel that calls them states and asserts its bounds.
internal unsafe interface ISimdWidth<TVec> where TVec : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector of zeros.</summary>
    static abstract TVec Zero { get; }

    /// <summary>Count floats from <paramref name="p"/> (no alignment needed).</summary>
    static abstract TVec Load(float* p);

    /// <summary>Stores the vector's floats at <paramref name="p"/> (no alignment needed).</summary>
    static abstract void Store(TVec v, float* p);

    /// <summary>The vector with every lane <paramref name="x"/>.</summary>
    static abstract TVec Broadcast(float x);

    /// <summary>
    /// a·b + c rounded once per lane (what keeps the two widths' chains the same bits); emulated by
    /// .NET, also rounded once, where the width is not accelerated.
    /// </summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>Lanewise a + b.</summary>
    static abstract TVec Add(TVec a, TVec b);

    /// <summary>
    /// The Count floats from p + 1 and from p + 2, given <paramref name="at"/> = Load(p) and
    /// <paramref name="after"/> = Load(p + Count): a width may cut them from those two instead of loading again.
    /// </summary>
    static abstract (TVec OneOn, TVec TwoOn) LoadOneAndTwoOn(float* p, TVec at, TVec after);
}
