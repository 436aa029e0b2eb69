using System.Diagnostics;

namespace Reel.Tests.Support;

/// <summary>
/// Golden tensors written by PyTorch (tests/reference/*.py), each script run once per test run.
/// The oracle is Debian's python3 with python3-torch; REEL_PYTHON overrides the interpreter.
/// </summary>
public sealed class Golden
{
    /// <summary>DnCNN, conv, safetensors, metrics and malicious-pickle cases (dncnn_golden.py).</summary>
    public static readonly Golden Dncnn = new("dncnn_golden.py", dir => new[] { "--marker", Path.Combine(dir, MarkerName) });

    /// <summary>Lab conversion, annealed mean and ECCV16 colorizer cases (colorizer_golden.py).</summary>
    public static readonly Golden Colorizer = new("colorizer_golden.py", _ => Array.Empty<string>());

    /// <summary>Deep Video Prior U-Net forward, IRT gradients and Adam steps (dvp_golden.py).</summary>
    public static readonly Golden Dvp = new("dvp_golden.py", _ => Array.Empty<string>());

    /// <summary>OpenCV's DIS flow on synthetic motions with their true flows (flow_golden.py).</summary>
    public static readonly Golden Flow = new("flow_golden.py", _ => Array.Empty<string>());

    private const string MarkerName = "MARKER_os_system_ran";
    private readonly Lazy<string> _dir;

    private Golden(string script, Func<string, string[]> extraArgs) =>
        _dir = new Lazy<string>(() => Generate(script, extraArgs), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A file the pickle-refusal tests check was never created.</summary>
    public static string MarkerPath => Path.Combine(Dncnn._dir.Value, MarkerName);

    public string File(string name)
    {
        var path = Path.Combine(_dir.Value, name);
        if (!System.IO.File.Exists(path)) Assert.Fail($"golden file missing: {path}");
        return path;
    }

    public static string Python()
    {
        var env = Environment.GetEnvironmentVariable("REEL_PYTHON");
        if (!string.IsNullOrEmpty(env)) return env;
        // Debian's interpreter carries python3-torch; a pyenv shim earlier on PATH would not.
        return System.IO.File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    }

    private static string Generate(string scriptName, Func<string, string[]> extraArgs)
    {
        var dir = TestPaths.NewTempDir();
        var script = Path.Combine(TestPaths.RepoRoot, "tests", "reference", scriptName);
        var psi = new ProcessStartInfo(Python())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { script, "--out", dir, "--shared", TestPaths.SharedData(".") }.Concat(extraArgs(dir)))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed (is python3-torch installed? set REEL_PYTHON): {err.Result}");
        return dir;
    }
}
