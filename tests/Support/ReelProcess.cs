using System.Diagnostics;

namespace Reel.Tests.Support;

/// <summary>Runs the built `reel` CLI as a child process, as a user or script would.</summary>
public static class ReelProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Every network off: the restore's plumbing alone, at its cheapest.</summary>
    public static readonly string[] NoNetworks = { "--no-denoise", "--no-colorize", "--no-stabilize" };

    /// <summary>
    /// `reel restore` with every network off, in pieces of 8 frames: the quickest run that has pieces
    /// and a join, for tests about the files rather than the pictures.
    /// </summary>
    public static string[] FilesOnlyRestore(string input, string output, params string[] extra) =>
        new[] { "restore", input, output }.Concat(NoNetworks).Concat(new[] { "--max-shot-frames", "8", "--no-progress" }).Concat(extra).ToArray();

    /// <summary>`reel restore plan` of <paramref name="input"/> into <paramref name="work"/> with every network off, which must succeed.</summary>
    public static Result PlanWithoutNetworks(string input, string work, params string[] extra)
    {
        var r = Run(new[] { "restore", "plan", input, work, "--no-progress" }.Concat(NoNetworks).Concat(extra).ToArray());
        Assert.True(r.ExitCode == 0, $"reel restore plan exited {r.ExitCode}:\n{r.Stderr}");
        return r;
    }

    public static Result Run(params string[] args) => RunWithEnvironment(new Dictionary<string, string>(), args);

    public static Result RunWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args) => RunIn(TestPaths.RepoRoot, environment, args);

    /// <summary>The CLI run from <paramref name="workingDirectory"/>, for paths given relative to it.</summary>
    public static Result RunIn(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var p = StartIn(workingDirectory, environment, args);
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>
    /// Starts the CLI with stdout and stderr redirected, for tests that signal it while it runs.
    /// Ctrl-C and SIGHUP are restored to their defaults first: a test run started in the background
    /// inherits SIGINT ignored, as every background job of a non-interactive shell does, and one
    /// started under nohup inherits SIGHUP ignored, which reel keeps (as nohup means it to).
    /// </summary>
    public static Process Start(IReadOnlyDictionary<string, string> environment, params string[] args) => StartIn(TestPaths.RepoRoot, environment, args);

    /// <summary>
    /// The command line that starts the CLI: `dotnet reel.dll` beside the tests, or REEL_CLI's build (build.sh test points
    /// it at the NativeAOT `reel`).
    /// </summary>
    public static string[] Command()
    {
        var native = Environment.GetEnvironmentVariable("REEL_CLI");
        if (string.IsNullOrEmpty(native))
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "reel.dll");
            if (!File.Exists(dll)) Assert.Fail($"CLI not built: {dll}");
            return ["dotnet", dll];
        }
        if (!File.Exists(native)) Assert.Fail($"REEL_CLI is {native}, which does not exist (cmake --build build makes build/publish/reel)");
        return [native];
    }

    private static Process StartIn(string workingDirectory, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var psi = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        psi.ArgumentList.Add("--default-signal=INT,HUP");
        foreach (var a in Command().Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    /// <summary>Sends <paramref name="signal"/> ("TERM", "INT") to a running CLI, as a scheduler or a terminal would.</summary>
    public static void Signal(Process p, string signal)
    {
        using var kill = Process.Start("kill", new[] { $"-{signal}", p.Id.ToString() })!;
        kill.WaitForExit();
    }

    /// <summary>Whether a process (an ffmpeg a run started) is still running.</summary>
    public static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
