using System.Reflection;
using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>
/// Resolves the logical library names of our bindings ("cuda", "nvrtc", "cudnn", "cublas") to
/// whichever installed version exists, newest first, so one build runs on CUDA 11 and 12
/// and cuDNN 8 and 9. REEL_NVRTC / REEL_CUDNN / REEL_CUBLAS may name a file explicitly.
/// </summary>
internal static class NativeLibraries
{
    public const string Cuda = "cuda";
    public const string Nvrtc = "nvrtc";
    public const string Cudnn = "cudnn";
    public const string Cublas = "cublas";

    /// <summary>Candidate file names per logical name, in the order tried.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Candidates = new Dictionary<string, string[]>
    {
        [Cuda] = new[] { "libcuda.so.1", "libcuda.so", "nvcuda.dll" },
        [Nvrtc] = new[] { "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll" },
        [Cudnn] = new[] { "libcudnn.so.9", "libcudnn.so.8", "libcudnn.so", "cudnn64_9.dll", "cudnn64_8.dll" },
        [Cublas] = new[] { "libcublas.so.12", "libcublas.so.11", "libcublas.so", "cublas64_12.dll", "cublas64_11.dll" },
    };

    private static readonly Dictionary<string, (nint Handle, string? Error)> Loaded = new();
    private static readonly object Gate = new();
    private static int _registered;

    /// <summary>Installs the resolver for this assembly once; every binding class calls it from its static constructor.</summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
    }

    /// <summary>Loads <paramref name="logical"/>, or returns why not (which names were tried).</summary>
    public static bool TryLoad(string logical, out nint handle, out string? error)
    {
        lock (Gate)
        {
            if (!Loaded.TryGetValue(logical, out var entry))
            {
                entry = LoadFirst(logical);
                Loaded[logical] = entry;
            }
            (handle, error) = entry;
            return handle != 0;
        }
    }

    private static (nint, string?) LoadFirst(string logical)
    {
        var names = new List<string>();
        var explicitPath = Environment.GetEnvironmentVariable($"REEL_{logical.ToUpperInvariant()}");
        if (!string.IsNullOrEmpty(explicitPath)) names.Add(explicitPath);
        names.AddRange(Candidates[logical]);
        foreach (var name in names)
            if (NativeLibrary.TryLoad(name, out var h)) return (h, null);
        return (0, $"{logical} library not found (tried {string.Join(", ", names)})");
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        Candidates.ContainsKey(name) && TryLoad(name, out var h, out _) ? h : 0;
}
