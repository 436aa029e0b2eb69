using System.Diagnostics;

namespace Reel.Engine.Video;

/// <summary>
/// Locates and runs the ffmpeg and ffprobe executables as child processes with piped stdio.
/// REEL_FFMPEG / REEL_FFPROBE override the PATH lookup.
/// </summary>
public static class Ffmpeg
{
    public static string FfmpegPath => Locate("ffmpeg", "REEL_FFMPEG");
    public static string FfprobePath => Locate("ffprobe", "REEL_FFPROBE");

    private static string Locate(string tool, string envVar)
    {
        var overridePath = Environment.GetEnvironmentVariable(envVar);
        if (!string.IsNullOrEmpty(overridePath))
            return File.Exists(overridePath)
                ? overridePath
                : throw new MediaException($"{envVar} points to '{overridePath}', which does not exist");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        throw new MediaException($"{tool} was not found on PATH; install it (Debian/Ubuntu: sudo apt-get install ffmpeg) or set {envVar}");
    }

    /// <summary>
    /// Runs a tool to completion, feeding <paramref name="stdin"/> and collecting stdout.
    /// A non-zero exit becomes a <see cref="MediaException"/> carrying the tool's last error line.
    /// </summary>
    public static byte[] Run(string exe, IReadOnlyList<string> args, ReadOnlyMemory<byte> stdin, string subject)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new MediaException($"could not start {exe}");
        var stderr = p.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        try
        {
            if (!stdin.IsEmpty) p.StandardInput.BaseStream.Write(stdin.Span);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // The tool exited before reading all its input; its exit code and stderr say why.
        }
        copy.Wait();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            var lines = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var why = lines.Length > 0 ? lines[^1] : $"exit code {p.ExitCode}";
            throw new MediaException($"{subject}: {Path.GetFileName(exe)} failed: {why}");
        }
        return output.ToArray();
    }
}
