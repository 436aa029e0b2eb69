using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Reel.Engine.Backends.Cpu;

/// <summary>
/// The machine's measured single-precision FMA peak: a register-only loop of independent
/// Vector256 or Vector512 FMA chains (enough of them to cover the FMA latency on both ports) on
/// one thread and on every core at once. What the conv paths' GFLOP/s are compared with.
/// </summary>
// SAFETY: the one pointer is the loop's own stack vector.
public static unsafe class FmaPeak
{
    /// <summary>Whether the convolutions' SGEMM kernels run AVX-512 (else AVX2): the peak to compare their GFLOP/s with.</summary>
    public static bool GemmUsesAvx512 => Sgemm.Wide;

    /// <summary>GFLOP/s (2 per FMA lane) of <paramref name="threads"/> threads for about <paramref name="milliseconds"/> each; the best of a few tries.</summary>
    public static double Measure(int threads, int milliseconds = 300, bool wide = false)
    {
        if (wide && !(Vector512.IsHardwareAccelerated && Avx512F.IsSupported))
            throw new PlatformNotSupportedException("this CPU (or .NET on it) has no accelerated AVX-512");
        const long iterations = 1 << 22;
        if (!Fma.IsSupported) throw new PlatformNotSupportedException("the FMA peak needs an x86 CPU with FMA");
        Func<long, float> loop = wide ? Loop<Avx512Width, Vector512<float>> : Loop<Avx2Width, Vector256<float>>;
        loop(1000); // JIT and warm-up
        double best = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long reps = 0;
            var sw = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                var until = milliseconds;
                long done = 0;
                var local = Stopwatch.StartNew();
                while (local.ElapsedMilliseconds < until) { loop(iterations); done++; }
                Interlocked.Add(ref reps, done);
            })).ToList();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) w.Join();
            double flops = reps * iterations * 12.0 * (wide ? 16 : 8) * 2;
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    /// <summary>
    /// n rounds of twelve independent FMA chains (of <typeparamref name="TVec"/>), enough to keep both
    /// FMA ports busy through the FMA latency; the result only keeps the JIT from dropping the loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float Loop<TWidth, TVec>(long n) where TWidth : struct, ISimdWidth<TVec> where TVec : struct
    {
        var m = TWidth.Broadcast(0.9999f);
        var a = TWidth.Broadcast(1e-7f);
        TVec c0 = TWidth.Broadcast(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,
            c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < n; i++)
        {
            c0 = TWidth.MultiplyAdd(c0, m, a); c1 = TWidth.MultiplyAdd(c1, m, a); c2 = TWidth.MultiplyAdd(c2, m, a);
            c3 = TWidth.MultiplyAdd(c3, m, a); c4 = TWidth.MultiplyAdd(c4, m, a); c5 = TWidth.MultiplyAdd(c5, m, a);
            c6 = TWidth.MultiplyAdd(c6, m, a); c7 = TWidth.MultiplyAdd(c7, m, a); c8 = TWidth.MultiplyAdd(c8, m, a);
            c9 = TWidth.MultiplyAdd(c9, m, a); c10 = TWidth.MultiplyAdd(c10, m, a); c11 = TWidth.MultiplyAdd(c11, m, a);
        }
        var s = TWidth.Add(TWidth.Add(TWidth.Add(TWidth.Add(TWidth.Add(TWidth.Add(c0, c1), c2), c3), c4), c5), c6);
        s = TWidth.Add(TWidth.Add(TWidth.Add(TWidth.Add(TWidth.Add(s, c7), c8), c9), c10), c11);
        // SAFETY: the store writes exactly Count floats.
        float* first = stackalloc float[TWidth.Count];
        TWidth.Store(s, first);
        return first[0];
    }
}
