namespace Reel.Engine.Video;

/// <summary>
/// Locates and runs the ffmpeg and ffprobe executables as child processes with piped stdio
/// (each one a <see cref="ToolProcess"/>, whose lifetime is bounded).
/// REEL_FFMPEG / REEL_FFPROBE override the PATH lookup.
/// </summary>
public static class Ffmpeg
{
    /// <summary>The ffmpeg executable: REEL_FFMPEG when set, else the first on PATH; a <see cref="MediaException"/> saying how to install it when there is none.</summary>
    public static string FfmpegPath => Locate("ffmpeg", "REEL_FFMPEG");
    /// <summary>The ffprobe executable: REEL_FFPROBE when set, else the first on PATH; a <see cref="MediaException"/> when there is none.</summary>
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
    /// A non-zero exit becomes a <see cref="MediaException"/> carrying the tool's telling error line.
    /// Cancelling stops the tool and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static byte[] Run(string exe, IReadOnlyList<string> args, ReadOnlyMemory<byte> stdin, string subject, CancellationToken cancel = default,
        string? doing = null) =>
        Capture(exe, args, stdin, subject, cancel, doing).Stdout;

    /// <summary>
    /// Runs ffmpeg to write a file and returns what it printed on stderr. ffmpeg can exit 0 after
    /// failing to write (5.1: "Error writing trailer … No space left on device"), so its exit code
    /// proves nothing: the caller checks the file (<see cref="VideoVerifier"/>) and quotes this text
    /// (<see cref="Reason"/>) when the file is wrong.
    /// </summary>
    /// <param name="workingDirectory">ffmpeg's current folder (null: this process's), against which relative paths in <paramref name="args"/> resolve.</param>
    public static string Write(IReadOnlyList<string> args, string subject, string doing, CancellationToken cancel = default, string? workingDirectory = null) =>
        Capture(FfmpegPath, args, ReadOnlyMemory<byte>.Empty, subject, cancel, doing, workingDirectory).Stderr;

    /// <summary>
    /// The line of a tool's stderr that best says why it failed: the operating system's own error when one is
    /// there, else the one saying the input does not decode, else the last that is not one of the lines
    /// ffmpeg ends every failure of its kind with (<see cref="Consequences"/>), else the last.
    /// </summary>
    public static string? Reason(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = lines.LastOrDefault(l => StorageErrors.Any(e => l.Contains(e, StringComparison.Ordinal)))
                   ?? lines.LastOrDefault(l => l.Contains(InvalidData, StringComparison.Ordinal))
                   ?? lines.LastOrDefault(l => !Consequences.Any(c => l.Contains(c, StringComparison.Ordinal)) && !X265Summary.IsMatch(l))
                   ?? lines.LastOrDefault();
        return line is null ? null : Plain(line);
    }

    /// <summary>
    /// What ffmpeg (4 to 7) prints after the line that says why, whatever the why: an encoder it cannot open
    /// ("[libx264 @ …] width not divisible by 2") ends in "Error initializing output stream 0:0 -- Error while
    /// opening encoder …", a codec the container refuses ("[webm @ …] Only VP8 or VP9 or AV1 video …") in
    /// "Could not write header …", an undecodable image (ffmpeg 5) in "Error marking filters as finished".
    /// </summary>
    private static readonly string[] Consequences =
    {
        "Conversion failed!", "Error initializing output stream", "Could not write header", "Error while opening encoder",
        "Error opening output file", "Error marking filters as finished", "Nothing was written into output file",
        "Terminating thread with return code", "Task finished with error code", "Error sending frames to consumers",
    };

    /// <summary>libx265's own summary, which it writes to stderr after ffmpeg's lines, however many frames it encoded.</summary>
    private static readonly System.Text.RegularExpressions.Regex X265Summary = new(@"^encoded [0-9]+ frames", System.Text.RegularExpressions.RegexOptions.Compiled);

    /// <summary>ffmpeg's words for AVERROR_INVALIDDATA: the input is not what its name or header says.</summary>
    private const string InvalidData = "Invalid data found when processing input";

    private static readonly System.Text.RegularExpressions.Regex ComponentTag = new(@"^\[[^\]]* @ 0x[0-9a-f]+\]\s*", System.Text.RegularExpressions.RegexOptions.Compiled);

    /// <summary>
    /// A local file's path as ffmpeg must be given it: absolute. ffmpeg reads a relative name with a colon before any
    /// slash as a protocol and its path: a camera's "2024-05-01T10:30:00.mp4" was "Protocol not found", and "file:a.mp4"
    /// read ./a.mp4 in place of the file named.
    /// </summary>
    public static string Local(string path) => Path.GetFullPath(path);

    /// <summary>A log line without the "[h264 @ 0x55d0…]" tag ffmpeg puts before a component's messages.</summary>
    public static string Plain(string line) => ComponentTag.Replace(line.Trim(), "");

    /// <summary>strerror texts of a storage that cannot take more (the cause a user can act on).</summary>
    private static readonly string[] StorageErrors = { "No space left on device", "Disk quota exceeded", "File too large", "Input/output error", "Read-only file system" };

    /// <summary>As <see cref="Run"/>, also returning stderr (a tool can report errors and still exit 0).</summary>
    /// <param name="doing">What the tool is for, as an error about it says ("reading back out.mp4"); by default "working on" the subject.</param>
    public static (byte[] Stdout, string Stderr) Capture(string exe, IReadOnlyList<string> args, ReadOnlyMemory<byte> stdin, string subject,
        CancellationToken cancel, string? doing = null, string? workingDirectory = null)
    {
        using var tool = ToolProcess.Start(exe, args, doing ?? $"working on {subject}", feedInput: !stdin.IsEmpty, cancel: cancel,
            workingDirectory: workingDirectory);
        if (!stdin.IsEmpty)
        {
            try
            {
                tool.Input.Write(stdin.Span);
                tool.CloseInput();
            }
            catch (IOException)
            {
                // The tool exited before reading all its input; its exit code and stderr say why.
            }
        }
        int code = tool.WaitForExit();
        cancel.ThrowIfCancellationRequested();
        if (code != 0)
            throw new MediaException($"{subject}: {Path.GetFileName(exe)} failed: {Reason(tool.Stderr) ?? $"exit code {code}"}");
        return (tool.CollectedOutput, tool.Stderr);
    }
}
