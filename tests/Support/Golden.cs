using System.Diagnostics;

namespace Reel.Tests.Support;

/// <summary>
/// Golden tensors written by PyTorch (tests/reference/*.py), generated once per test run.
/// The oracle is Debian's python3 with python3-torch; REEL_PYTHON overrides the interpreter.
/// </summary>
public static class Golden
{
    private static readonly Lazy<string> Dir = new(Generate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A file the pickle-refusal tests check was never created.</summary>
    public static string MarkerPath => Path.Combine(Dir.Value, "MARKER_os_system_ran");

    public static string File(string name)
    {
        var path = Path.Combine(Dir.Value, name);
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

    private static string Generate()
    {
        var dir = TestPaths.NewTempDir();
        var script = Path.Combine(TestPaths.RepoRoot, "tests", "reference", "dncnn_golden.py");
        var psi = new ProcessStartInfo(Python())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { script, "--out", dir, "--marker", Path.Combine(dir, "MARKER_os_system_ran"), "--shared", TestPaths.SharedData(".") })
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
