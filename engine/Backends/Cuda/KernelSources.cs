using System.Reflection;
using System.Text.RegularExpressions;

namespace Reel.Engine.Backends.Cuda;

/// <summary>
/// The kernels/*.cu sources embedded in the engine, one file per op family, and the kernels
/// they declare (read from the source itself, so the list can never drift from the code).
/// </summary>
internal static partial class KernelSources
{
    private const string Prefix = "Reel.Engine.kernels.";

    /// <summary>File name → source text, for every embedded .cu and .cuh.</summary>
    public static IReadOnlyDictionary<string, string> Files { get; } = Load();

    /// <summary>The kernel files (.cu) in name order.</summary>
    public static IReadOnlyList<string> KernelFiles { get; } = Files.Keys.Where(f => f.EndsWith(".cu")).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Headers passed to NVRTC as in-memory include files.</summary>
    public static IReadOnlyList<string> Headers { get; } = Files.Keys.Where(f => f.EndsWith(".cuh")).Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<KernelInfo> Kernels { get; } = KernelFiles.SelectMany(f => Parse(f, Files[f])).ToArray();

    public static KernelInfo Find(string name) =>
        Kernels.FirstOrDefault(k => k.Name == name) ?? throw new ArgumentException($"no kernel named {name} in kernels/*.cu");

    internal static IEnumerable<KernelInfo> Parse(string file, string source)
    {
        foreach (Match m in KernelDeclaration().Matches(source))
        {
            var declarations = m.Groups["params"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            yield return new KernelInfo(file, m.Groups["name"].Value, declarations.Select(Kind).ToArray(),
                declarations.Select(d => d.StartsWith("const ", StringComparison.Ordinal) && d.Contains('*')).ToArray());
        }
    }

    private static string Kind(string declaration) =>
        declaration.Contains('*') ? "ptr"
        : declaration.StartsWith("long long") ? "long"
        : declaration.StartsWith("float") ? "float"
        : declaration.StartsWith("int") ? "int"
        : throw new InvalidOperationException($"kernel parameter '{declaration}' has a type the launch code does not pack");

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+(?:__launch_bounds__\(\d+\)\s+)?(?<name>\w+)\s*\((?<params>[^)]*)\)", RegexOptions.Singleline)]
    private static partial Regex KernelDeclaration();

    private static Dictionary<string, string> Load()
    {
        var assembly = typeof(KernelSources).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            files[name[Prefix.Length..]] = reader.ReadToEnd();
        }
        return files;
    }
}
