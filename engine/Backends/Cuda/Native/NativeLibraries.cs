using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Reel.Engine.Backends.Cuda.Native;

/// <summary>
/// Resolves the logical library names of our bindings ("cuda", "nvrtc", "cudnn") and of what cuDNN opens
/// itself ("cublasLt") to an installed file, newest version first, so one build runs on CUDA 11 to 13
/// and cuDNN 8 or 9. Where it looks, in order: the file named by REEL_NVRTC / REEL_CUDNN / REEL_CUBLASLT /
/// REEL_CUDA; each
/// soname through the system loader (LD_LIBRARY_PATH, the ldconfig cache); the folders in
/// REEL_CUDA_LIBS (colon-separated); $CUDA_HOME and $CUDA_PATH (lib64, lib); /usr/local/cuda; and the
/// library folders of NVIDIA's Python wheels (site-packages/nvidia/*/lib, site-packages as python3
/// reports them), where CUDA 13's NVRTC and cuBLASLt and cuDNN 9 live when installed with PyTorch.
/// A library found in a folder has its companions there loaded first (cuDNN 9's sub-libraries,
/// NVRTC's builtins), so the loader finds them by soname whatever the folder's rpath says; and the
/// libraries it opens at run time (<see cref="Needs"/>) are loaded before it.
/// </summary>
internal static class NativeLibraries
{
    public const string Cuda = "cuda";
    public const string Nvrtc = "nvrtc";
    public const string Cudnn = "cudnn";
    public const string CublasLt = "cublasLt";

    /// <summary>Sonames per logical name, in the order tried.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Candidates = new Dictionary<string, string[]>
    {
        [Cuda] = new[] { "libcuda.so.1", "libcuda.so" },
        [Nvrtc] = new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so" },
        [Cudnn] = new[] { "libcudnn.so.9", "libcudnn.so.8", "libcudnn.so" },
        [CublasLt] = new[] { "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so" },
    };

    /// <summary>Files in the same folder a library needs by soname, loaded before it (globs, in order).</summary>
    private static readonly IReadOnlyDictionary<string, string[]> Companions = new Dictionary<string, string[]>
    {
        [Cuda] = Array.Empty<string>(),
        [Nvrtc] = new[] { "libnvrtc-builtins.so*" },
        [Cudnn] = new[] { "libcudnn_graph.so*", "libcudnn_ops.so*", "libcudnn_cnn.so*", "libcudnn_adv.so*", "libcudnn_engines_*.so*", "libcudnn_heuristic.so*" },
        [CublasLt] = Array.Empty<string>(),
    };

    /// <summary>
    /// What a library opens by soname only when it needs it, loaded (where found) before it: cuDNN 9
    /// dlopens cuBLASLt for its legacy convolution API and some convolution engines, and NVRTC for its
    /// runtime-compiled engines (NVIDIA's "Building and Running a cuDNN Dependent Program"). From a wheel
    /// folder nothing leads it to them (PyTorch loads them itself first); a library already loaded answers
    /// a dlopen of its soname, so loading them here is enough.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string[]> Needs = new Dictionary<string, string[]>
    {
        [Cudnn] = new[] { CublasLt, Nvrtc },
    };

    private static readonly Dictionary<string, (nint Handle, string? Path, string? Error)> Loaded = new();
    private static readonly object Gate = new();
    private static int _registered;
    private static IReadOnlyList<string>? _folders;

    /// <summary>Installs the resolver for this assembly once; every binding class calls it from its static constructor.</summary>
    public static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
    }

    /// <summary>Loads <paramref name="logical"/>, or returns why not: every name and place tried.</summary>
    public static bool TryLoad(string logical, out nint handle, out string? error)
    {
        lock (Gate)
        {
            if (!Loaded.TryGetValue(logical, out var entry))
            {
                // A need not found is no error here: the library says so when it needs it (`reel kernels libraries` shows it missing).
                foreach (var need in Needs.GetValueOrDefault(logical, Array.Empty<string>())) TryLoad(need, out _, out _);
                entry = LoadFirst(logical);
                Loaded[logical] = entry;
            }
            (handle, error) = (entry.Handle, entry.Error);
            return handle != 0;
        }
    }

    /// <summary>Where each library was found ("libcudnn.so.9 from /opt/…/nvidia/cudnn/lib"), or why not.</summary>
    public static IReadOnlyList<(string Library, bool Found, string Detail)> Describe() =>
        Candidates.Keys.Select(name => TryLoad(name, out _, out var error)
            ? (name, true, Loaded[name].Path!)
            : (name, false, error!)).ToArray();

    /// <summary>
    /// Every entry point the bindings declare for a library that loaded, with whether the library
    /// exports it: a GPU stack whose version dropped a function shows here before any call fails.
    /// </summary>
    public static IReadOnlyList<(string Library, string Symbol, bool Exported)> BoundSymbols()
    {
        var result = new List<(string, string, bool)>();
        foreach (var method in Methods(typeof(Driver)).Concat(Methods(typeof(Nvrtc))).Concat(Methods(typeof(Cudnn))))
        {
            var import = method.GetCustomAttribute<LibraryImportAttribute>();
            if (import is null || !Candidates.ContainsKey(import.LibraryName)) continue;
            string symbol = import.EntryPoint ?? method.Name;
            bool exported = TryLoad(import.LibraryName, out var handle, out _) && NativeLibrary.TryGetExport(handle, symbol, out _);
            result.Add((import.LibraryName, symbol, exported));
        }
        return result.OrderBy(r => r.Item1, StringComparer.Ordinal).ThenBy(r => r.Item2, StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// A binding class's methods. The classes are named, not found by scanning the assembly: the
    /// trimmer keeps what a literal type's annotation asks for, so the NativeAOT reel lists the
    /// same functions as the JIT one (a scan found none there).
    /// </summary>
    private static MethodInfo[] Methods([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static);

    private static (nint, string?, string?) LoadFirst(string logical)
    {
        var tried = new List<string>();
        var variable = $"REEL_{logical.ToUpperInvariant()}";
        var explicitPath = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            if (LoadWithCompanions(logical, explicitPath) is var h and not 0) return (h, explicitPath, null);
            tried.Add($"{variable}={explicitPath}");
        }
        foreach (var name in Candidates[logical])
            if (NativeLibrary.TryLoad(name, out var h)) return (h, $"{name} (system loader)", null);
        tried.Add($"{string.Join(", ", Candidates[logical])} through the system loader (LD_LIBRARY_PATH, ldconfig)");
        foreach (var folder in Folders())
        foreach (var name in Candidates[logical])
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path) && LoadWithCompanions(logical, path) is var h and not 0) return (h, path, null);
        }
        var folders = Folders();
        tried.Add(folders.Count == 0 ? "no CUDA or wheel folder exists here" : $"the folders {string.Join(", ", folders)}");
        return (0, null, $"{logical} library not found: tried {string.Join("; ", tried)}");
    }

    /// <summary>Loads the companions found beside <paramref name="path"/> (failures ignored: the library says what it lacks), then the library.</summary>
    private static nint LoadWithCompanions(string logical, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && Directory.Exists(folder))
            foreach (var pattern in Companions[logical])
            foreach (var companion in Directory.GetFiles(folder, pattern).Order(StringComparer.Ordinal))
                NativeLibrary.TryLoad(companion, out _);
        return NativeLibrary.TryLoad(path, out var handle) ? handle : 0;
    }

    /// <summary>The folders searched after the system loader, existing ones only, each once.</summary>
    private static IReadOnlyList<string> Folders()
    {
        if (_folders is not null) return _folders;
        var folders = new List<string>();
        var listed = Environment.GetEnvironmentVariable("REEL_CUDA_LIBS");
        if (!string.IsNullOrEmpty(listed)) folders.AddRange(listed.Split(':', StringSplitOptions.RemoveEmptyEntries));
        foreach (var root in new[] { Environment.GetEnvironmentVariable("CUDA_HOME"), Environment.GetEnvironmentVariable("CUDA_PATH"), "/usr/local/cuda" })
            if (!string.IsNullOrEmpty(root)) folders.AddRange(new[] { Path.Combine(root, "lib64"), Path.Combine(root, "lib") });
        // Wheels put each library under site-packages/nvidia/<package>/lib (CUDA 13: nvidia/cu13/lib).
        foreach (var site in SitePackages())
        {
            var nvidia = Path.Combine(site, "nvidia");
            if (!Directory.Exists(nvidia)) continue;
            foreach (var package in Directory.GetDirectories(nvidia).Order(StringComparer.Ordinal).Reverse())
                folders.Add(Path.Combine(package, "lib"));
        }
        return _folders = folders.Where(Directory.Exists).Distinct().ToArray();
    }

    /// <summary>python3's site-packages folders (empty when there is no python3, or it takes over 10 s).</summary>
    private static IEnumerable<string> SitePackages()
    {
        try
        {
            using var python = Process.Start(new ProcessStartInfo("python3", "-c \"import site; print('\\n'.join(site.getsitepackages() + [site.getusersitepackages()]))\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (python is null) return Array.Empty<string>();
            var output = python.StandardOutput.ReadToEndAsync();
            if (!python.WaitForExit(10_000))
            {
                python.Kill();
                return Array.Empty<string>();
            }
            return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return Array.Empty<string>();
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        Candidates.ContainsKey(name) && TryLoad(name, out var h, out _) ? h : 0;
}
