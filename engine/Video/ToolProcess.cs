using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Reel.Engine.Video;

/// <summary>
/// One ffmpeg or ffprobe child process with a bounded lifetime; every launch of either goes
/// through here. stdout and stderr are always drained (a tool blocked on a full pipe nobody reads
/// would never finish), stdin is closed unless the caller feeds it. While Reel waits on the tool
/// (a read of its output, a write to its input, the wait for its exit) the tool must show
/// progress: bytes on one of its pipes or CPU time spent. A tool that shows none for
/// <see cref="StallLimit"/> is stopped (with whatever it started) and the wait fails with one line
/// naming the tool and what it was doing. Time the tool spends waiting on Reel (an encoder between
/// frames while a shot trains) is not counted. Cancelling, disposing and the end of the Reel
/// process stop it too, so no tool outlives Reel's own exit.
/// </summary>
public sealed class ToolProcess : IDisposable
{
    /// <summary>The environment variable that sets <see cref="StallLimit"/> in seconds.</summary>
    public const string StallVariable = "REEL_FFMPEG_STALL_S";

    private static readonly TimeSpan DefaultStallLimit = TimeSpan.FromSeconds(120);
    private static readonly HashSet<ToolProcess> Running = new();

    static ToolProcess()
    {
        // A stop signal that outlasts its grace period, or an exception that ends Reel, returns from
        // Main without disposing the tools still running: they are stopped here, on the way out.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            ToolProcess[] left;
            lock (Running) left = Running.ToArray();
            foreach (var tool in left) tool.Stop();
        };
    }

    private readonly Process _process;
    private readonly string _tool;
    private readonly string _doing;
    private readonly TimeSpan _limit;
    private readonly Timer _watch;
    private readonly Task<bool> _stderr;
    private readonly Task<byte[]>? _stdout;
    private readonly StringBuilder? _stderrText;
    private readonly CancellationTokenRegistration _onCancel;
    private long _lastSign;
    private long _cpuTicks = -1;
    private int _waiting;
    private volatile bool _stalled;
    private bool _disposed;

    private ToolProcess(string exe, IEnumerable<string> args, string doing, bool feedInput, bool readOutput,
        Action<string>? onStderrLine, CancellationToken cancel, string? workingDirectory)
    {
        _tool = Path.GetFileName(exe);
        _doing = doing;
        _limit = StallLimit;
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        cancel.ThrowIfCancellationRequested();
        _process = Process.Start(psi) ?? throw new MediaException($"could not start {exe} for {doing}");
        lock (Running) Running.Add(this);
        _lastSign = Stopwatch.GetTimestamp();
        if (!feedInput) _process.StandardInput.Close();
        Input = new Pipe(this, feedInput ? _process.StandardInput.BaseStream : Stream.Null);
        Output = new Pipe(this, readOutput ? _process.StandardOutput.BaseStream : Stream.Null);
        if (!readOutput) _stdout = OnOwnThread(() => Drain(_process.StandardOutput.BaseStream), "stdout");
        if (onStderrLine is null) _stderrText = new StringBuilder();
        _stderr = OnOwnThread(() =>
        {
            while (_process.StandardError.ReadLine() is { } line)
            {
                Sign();
                if (onStderrLine is null) lock (_stderrText!) _stderrText.Append(line).Append('\n');
                else onStderrLine(line);
            }
            return true;
        }, "stderr");
        var tick = TimeSpan.FromTicks(Math.Clamp(_limit.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        _watch = new Timer(_ => Watch(), null, tick, tick);
        _onCancel = cancel.Register(Stop);
    }

    /// <summary>
    /// Starts <paramref name="exe"/>. <paramref name="doing"/> says what it is for, as the stall error
    /// quotes it ("encoding out.mp4"). With <paramref name="feedInput"/> the caller writes
    /// <see cref="Input"/> and closes it; with <paramref name="readOutput"/> the caller reads
    /// <see cref="Output"/>, else it is collected (<see cref="CollectedOutput"/>). stderr goes line by
    /// line to <paramref name="onStderrLine"/>, else it is kept (<see cref="Stderr"/>).
    /// </summary>
    /// <param name="workingDirectory">The tool's current folder; null: this process's.</param>
    public static ToolProcess Start(string exe, IEnumerable<string> args, string doing, bool feedInput = false, bool readOutput = false,
        Action<string>? onStderrLine = null, CancellationToken cancel = default, string? workingDirectory = null) =>
        new(exe, args, doing, feedInput, readOutput, onStderrLine, cancel, workingDirectory);

    /// <summary>
    /// How long a tool Reel waits on may go without progress: <see cref="StallVariable"/> seconds,
    /// else 120 s (longer than any pause of a working encoder or decoder, shorter than a user's patience).
    /// </summary>
    public static TimeSpan StallLimit
    {
        get
        {
            var text = Environment.GetEnvironmentVariable(StallVariable);
            if (string.IsNullOrEmpty(text)) return DefaultStallLimit;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s < 1e6
                ? TimeSpan.FromSeconds(s)
                : throw new MediaException($"{StallVariable} must be a number of seconds above 0, not '{text}'");
        }
    }

    /// <summary>The tool's stdin (writes fail with the stall error when it stalled).</summary>
    public Stream Input { get; }

    /// <summary>The tool's stdout when the caller reads it (reads fail with the stall error when it stalled).</summary>
    public Stream Output { get; }

    /// <summary>Everything the tool printed on stdout when the caller does not read it; complete after <see cref="WaitForExit"/>.</summary>
    public byte[] CollectedOutput => _stdout?.Result ?? Array.Empty<byte>();

    /// <summary>Everything the tool printed on stderr (when no line handler took it); complete after <see cref="WaitForExit"/>.</summary>
    public string Stderr
    {
        get
        {
            if (_stderrText is null) return "";
            lock (_stderrText) return _stderrText.ToString();
        }
    }

    /// <summary>Done when the tool's stderr has ended (every line went to the line handler).</summary>
    public Task StderrDrained => _stderr;

    /// <summary>The error a stalled tool ends its wait with, or null while it has not stalled.</summary>
    public MediaException? StallError => _stalled
        ? new MediaException(string.Create(CultureInfo.InvariantCulture,
            $"{_tool} stalled while {_doing}: no progress for {_limit.TotalSeconds:0.#} s, so it was stopped ({StallVariable} sets how long to wait)"))
        : null;

    /// <summary>Ends the tool's input (an encoder then finishes its file).</summary>
    public void CloseInput() => Waiting(() => _process.StandardInput.Close());

    /// <summary>
    /// Waits for the tool to exit and its output to be drained; returns its exit code. A stall is a
    /// <see cref="MediaException"/> (<see cref="StallError"/>); a cancelled tool just returns.
    /// </summary>
    public int WaitForExit()
    {
        Waiting(() =>
        {
            _process.WaitForExit();
            _stderr.Wait();
            _stdout?.Wait();
        });
        if (StallError is { } stalled) throw stalled;
        return _process.ExitCode;
    }

    /// <summary>Kills the tool and whatever it started (a wrapper script's children would hold its pipes open).</summary>
    public void Stop()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // It exited between the check and the kill.
        }
    }

    /// <summary>Stops the tool if it still runs (with whatever it started) and waits for it to exit.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _onCancel.Dispose();
        _watch.Dispose();
        Stop();
        _process.WaitForExit();
        try
        {
            Task.WaitAll(_stdout is null ? new[] { _stderr } : new Task[] { _stderr, _stdout });
        }
        catch (AggregateException)
        {
            // A reader fails when the tool is killed under it (or a line handler gave up); nothing more is wanted from it.
        }
        lock (Running) Running.Remove(this);
        // Process.Dispose closes only the pipes nobody took: these were read and written, so they stayed open
        // until the garbage collector found them (17 a restore, which ran a host process out of descriptors).
        try
        {
            _process.StandardInput.Dispose();
        }
        catch (IOException)
        {
            // Its last bytes could not be flushed into a tool that has exited; nothing waits for them.
        }
        _process.StandardOutput.Dispose();
        _process.StandardError.Dispose();
        _process.Dispose();
    }

    /// <summary>
    /// Runs a pipe's reader on a thread of its own: it blocks for the tool's whole life, and pool
    /// threads blocked like that (two per tool, several tools at once) starve the pool that delivers
    /// the stop signals and runs the stall watch.
    /// </summary>
    private Task<T> OnOwnThread<T>(Func<T> read, string pipe)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                done.SetResult(read());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true, Name = $"{_tool} {pipe}" }.Start();
        return done.Task;
    }

    private byte[] Drain(Stream stream)
    {
        using var kept = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            Sign();
            kept.Write(buffer, 0, n);
        }
        return kept.ToArray();
    }

    /// <summary>The tool did something: the stall clock starts again.</summary>
    private void Sign() => Interlocked.Exchange(ref _lastSign, Stopwatch.GetTimestamp());

    /// <summary>Runs <paramref name="wait"/> as a wait on the tool (see <see cref="BeginWait"/>).</summary>
    private void Waiting(Action wait)
    {
        BeginWait();
        try
        {
            wait();
        }
        catch (IOException) when (StallError is { } stalled)
        {
            throw stalled;
        }
        finally
        {
            EndWait();
        }
    }

    /// <summary>Reel starts waiting on the tool: from now on (until <see cref="EndWait"/>) it must show progress.</summary>
    private void BeginWait()
    {
        if (Interlocked.Increment(ref _waiting) == 1) Sign();
    }

    private void EndWait()
    {
        Interlocked.Decrement(ref _waiting);
        Sign();
    }

    private void Watch()
    {
        if (_disposed) return;
        long cpu = CpuTicks();
        if (cpu != Interlocked.Exchange(ref _cpuTicks, cpu)) Sign();
        if (Volatile.Read(ref _waiting) == 0 || Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastSign)) < _limit) return;
        _stalled = true;
        Stop();
    }

    /// <summary>The tool's CPU time so far in clock ticks (user + system, from /proc), or -1 where that cannot be read.</summary>
    private long CpuTicks()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            // The command name (in parentheses) may hold spaces; the fields after it are: state, ppid, … utime (12th), stime (13th).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
        {
            return -1;
        }
    }

    /// <summary>One of the tool's pipes, whose reads and writes count as waiting on it and their bytes as progress.</summary>
    private sealed class Pipe(ToolProcess owner, Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            owner.BeginWait();
            try
            {
                n = inner.Read(buffer);
            }
            catch (IOException) when (owner.StallError is { } stalled)
            {
                throw stalled;
            }
            finally
            {
                owner.EndWait();
            }
            return n == 0 && owner.StallError is { } cut ? throw cut : n;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            owner.BeginWait();
            try
            {
                inner.Write(buffer);
            }
            catch (IOException) when (owner.StallError is { } stalled)
            {
                throw stalled;
            }
            finally
            {
                owner.EndWait();
            }
        }

        public override void Flush() => owner.Waiting(inner.Flush);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
