using System.Runtime.InteropServices;
using System.Text;

namespace Reel.Cli.Commands;

/// <summary>
/// SIGINT (Ctrl-C), SIGTERM (what Slurm, Kubernetes, systemd and `kill` send) and SIGHUP (the
/// terminal of an ssh session that dropped) all stop a command the same way: the token commands
/// watch is cancelled, they remove their partial files and keep finished work, and the process
/// exits with 128 + the signal's number (130, 143, 129), as shells and schedulers expect. A
/// command that has not stopped <see cref="Grace"/> after the signal, or a second signal (more
/// than a second after the first), ends the process at once with that code (what it leaves is
/// removed by the next run: temporaries carry their owner's process id), and `--progress json`'s end line
/// still comes last (<see cref="End"/>).
/// </summary>
public static class StopSignal
{
    private const int SigHup = 1, SigInt = 2, SigTerm = 15;
    /// <summary>How long a command may take to stop cleanly after the signal.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A second signal this soon after the first is the same request delivered twice (a terminal or
    /// Slurm signals the whole process group, and a parent such as `--devices` passes it on too), not
    /// an impatient second one.
    /// </summary>
    private static readonly TimeSpan Echo = TimeSpan.FromSeconds(1);

    private static readonly CancellationTokenSource Stop = new();
    private static readonly object Lines = new();
    private static Func<int, string?, string>? _endLine;
    private static bool _ended;
    /// <summary>stderr under the gate (<see cref="Gate"/>), where the end line goes.</summary>
    private static TextWriter _raw = Console.Error;
    private static readonly System.Diagnostics.Stopwatch SinceFirst = new();
    private static readonly TaskCompletionSource Deadline = new();
    private static int _signal;

    /// <summary>Cancelled by the first SIGINT, SIGTERM or SIGHUP.</summary>
    public static CancellationToken Token => Stop.Token;

    /// <summary>128 + the number of the signal that stopped the command (130 when none did, as for Ctrl-C).</summary>
    public static int ExitCode => 128 + (_signal == 0 ? SigInt : _signal);

    /// <summary>The signal's name for messages ("SIGTERM"), or null when none came.</summary>
    public static string? Name => _signal switch { 0 => null, SigTerm => "SIGTERM", SigHup => "SIGHUP", _ => "SIGINT" };

    /// <summary>
    /// Watches for the signals while <paramref name="command"/> runs; returns its exit code, or
    /// <see cref="ExitCode"/> when it did not stop in time.
    /// </summary>
    public static int Run(Func<CancellationToken, Task<int>> command)
    {
        // Synchronized, as the console's own writers are: progress and worker relays write from several threads.
        if (!Console.IsErrorRedirected) Console.SetError(TextWriter.Synchronized(new Terminal(Console.Error)));
        if (!Console.IsOutputRedirected) Console.SetOut(TextWriter.Synchronized(new Terminal(Console.Out)));
        _raw = Console.Error;
        Console.SetError(new Gate(_raw));
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Received(c, SigInt));
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Received(c, SigTerm));
        using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => Received(c, SigHup));
        // On a worker thread: a command whose body runs synchronously (most do) would otherwise hold
        // this thread until it ends, and the deadline could never end the process.
        var run = Task.Run(() => command(Token));
        if (Task.WhenAny(run, Deadline.Task).GetAwaiter().GetResult() == run) return run.GetAwaiter().GetResult();
        var said = $"stopped by {Name} before it could clean up; the next run removes what was left";
        // A command slow to stop, not stuck, may have written its own end line just now: that one stays the last.
        if (Close(ExitCode, said, out var endLine)) return ExitCode;
        _raw.WriteLine($"reel: {said}");
        if (endLine is not null) _raw.Write(endLine + "\n");
        _raw.Flush();
        return ExitCode;
    }

    /// <summary>The command's `--progress json` end line (<see cref="ProgressChoice.EndLine"/>), null for none: written by <see cref="End"/>.</summary>
    public static void EndWith(Func<int, string?, string>? endLine)
    {
        lock (Lines) _endLine = endLine;
    }

    /// <summary>
    /// Writes the end line given to <see cref="EndWith"/> last, once: the command's own as it returns and a forced
    /// stop's at the deadline can race, and only the first is written. Once it is out, nothing more reaches stderr:
    /// a forced stop writes it while the command's threads still run, and a line of theirs after it broke
    /// `--progress json`'s promise that `end` comes last.
    /// </summary>
    public static void End(int exit, string? said)
    {
        if (Close(exit, said, out var endLine) || endLine is null) return;
        _raw.Write(endLine + "\n");
        _raw.Flush();
    }

    /// <summary>
    /// Closes stderr to every other writer where there is an end line to write (<paramref name="endLine"/>, made here);
    /// true when it was closed already. Written outside the lock, to the writer under the gate: the gate is reached through
    /// Console's own synchronized wrapper, whose lock a writer holds before it asks for this one.
    /// </summary>
    private static bool Close(int exit, string? said, out string? endLine)
    {
        lock (Lines)
        {
            endLine = null;
            if (_ended) return true;
            if (_endLine is null) return false;
            endLine = _endLine(exit, said);
            _ended = true;
            return false;
        }
    }

    /// <summary>stderr as commands see it: each write whole, and none once the end line is out (<see cref="End"/>).</summary>
    private sealed class Gate(TextWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value) => Pass(() => inner.Write(value));

        public override void Write(string? value) => Pass(() => inner.Write(value));

        public override void Write(char[] buffer, int index, int count) => Pass(() => inner.Write(buffer, index, count));

        public override void Write(ReadOnlySpan<char> buffer)
        {
            var copy = buffer.ToString();
            Pass(() => inner.Write(copy));
        }

        public override void WriteLine() => Pass(inner.WriteLine);

        public override void WriteLine(string? value) => Pass(() => inner.WriteLine(value));

        public override void Flush() => Pass(inner.Flush);

        private static void Pass(Action write)
        {
            lock (Lines)
                if (!_ended) write();
        }
    }

    /// <summary>
    /// A terminal that forgets its failures: one that has hung up (the ssh session dropped, the
    /// window closed) fails every write with EIO, so a progress line, or the "interrupted by SIGHUP"
    /// written as the command stops, turned its clean stop into a crash (SIGABRT). What was for
    /// the terminal has nobody left to read it. A redirected stream is not wrapped: a failure there
    /// (a full disk under a log) is the command's to report.
    /// </summary>
    private sealed class Terminal(TextWriter screen) : TextWriter
    {
        public override Encoding Encoding => screen.Encoding;

        public override void Write(char value) => Try(() => screen.Write(value));

        public override void Write(char[] buffer, int index, int count) => Try(() => screen.Write(buffer, index, count));

        public override void Write(string? value) => Try(() => screen.Write(value));

        public override void WriteLine(string? value) => Try(() => screen.WriteLine(value));

        public override void Flush() => Try(screen.Flush);

        private static void Try(Action write)
        {
            try
            {
                write();
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Received(PosixSignalContext context, int signal)
    {
        context.Cancel = true;
        if (Interlocked.CompareExchange(ref _signal, signal, 0) != 0)
        {
            if (SinceFirst.Elapsed >= Echo) Deadline.TrySetResult();
            return;
        }
        SinceFirst.Start();
        Stop.Cancel();
        Task.Delay(Grace).ContinueWith(_ => Deadline.TrySetResult(), TaskScheduler.Default);
    }
}
