using System.Diagnostics;
using System.Globalization;

namespace Reel.Engine.Video;

/// <summary>
/// Encodes frames pushed one at a time (packed rgb24) through an ffmpeg child process: H.264 at
/// CRF 17 by default, audio copied from a source file. The video is written to a temporary file
/// beside the target and renamed by <see cref="Complete"/>; disposing without completing stops
/// ffmpeg and deletes the partial file, so a failed or interrupted run leaves nothing behind.
/// </summary>
public sealed class VideoWriter : IDisposable
{
    private readonly string _target;
    private readonly string _tmp;
    private readonly Process _process;
    private readonly Task<string> _stderr;
    private readonly int _frameBytes;
    private bool _completed;

    public VideoWriter(string path, int width, int height, string frameRate, string? audioSource = null, int crf = 17)
    {
        _target = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(_target)!;
        if (!Directory.Exists(dir)) throw new MediaException($"output folder does not exist: {dir}");
        _tmp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(_target)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(_target)}");
        _frameBytes = width * height * 3;
        var args = new List<string>
        {
            "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-framerate", frameRate, "-i", "-",
        };
        if (audioSource is not null) args.AddRange(new[] { "-i", audioSource, "-map", "0:v:0", "-map", "1:a?", "-c:a", "copy" });
        // yuv420p needs even sizes; pad odd ones by a pixel rather than fail.
        args.AddRange(new[] { "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-crf", crf.ToString(CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p", _tmp });
        var psi = new ProcessStartInfo(Ffmpeg.FfmpegPath) { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new MediaException($"could not start ffmpeg for {path}");
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    public void Write(byte[] rgb24)
    {
        if (rgb24.Length != _frameBytes) throw new ArgumentException($"frame of {rgb24.Length} bytes, expected {_frameBytes}");
        try
        {
            _process.StandardInput.BaseStream.Write(rgb24);
        }
        catch (IOException)
        {
            throw Failure();
        }
    }

    /// <summary>Finishes the stream and moves the video into place.</summary>
    public void Complete()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // ffmpeg already stopped; its exit code says why.
        }
        _process.WaitForExit();
        if (_process.ExitCode != 0) throw Failure();
        File.Move(_tmp, _target, overwrite: true);
        _completed = true;
    }

    private MediaException Failure()
    {
        _process.WaitForExit();
        var lines = _stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new MediaException($"{_target}: ffmpeg failed to encode: {(lines.Length > 0 ? lines[^1] : $"exit code {_process.ExitCode}")}");
    }

    public void Dispose()
    {
        if (!_completed && !_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        if (File.Exists(_tmp)) File.Delete(_tmp);
    }
}
