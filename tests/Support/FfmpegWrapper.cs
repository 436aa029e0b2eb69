using Reel.Engine.Video;

namespace Reel.Tests.Support;

/// <summary>
/// An `ffmpeg` script put first on PATH that misbehaves when it is asked to join pieces (its input
/// is a .ffconcat list) and otherwise runs the real ffmpeg: what a vanishing file, a slow disk or
/// a kill in the middle of the join looks like to reel. ffprobe stays the real one. Disposing it
/// lets any join still waiting go on, so a failed test leaves no process waiting behind it.
/// </summary>
public sealed class FfmpegWrapper : IDisposable
{
    private FfmpegWrapper(string bin, string dir) => (Bin, Dir) = (bin, dir);

    private string Bin { get; }
    private string Dir { get; }

    /// <summary>Created when the join (or the write a test waits for) starts, holding the wrapper's pid once it waits.</summary>
    public string JoinStarted => Path.Combine(Dir, "join-started");
    /// <summary>Create it to let a waiting join go on.</summary>
    public string Go => Path.Combine(Dir, "go");

    /// <summary>The environment that puts the wrapper first on PATH.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["PATH"] = $"{Bin}:{System.Environment.GetEnvironmentVariable("PATH")}",
    };

    /// <summary>Deletes <paramref name="piece"/> from the work folder just before the real ffmpeg joins.</summary>
    public static FfmpegWrapper DeletingPiece(string piece) =>
        Create(list => $"rm -f \"$(dirname \"{list}\")/{piece}\"\n");

    /// <summary>At the join, says so and waits for <see cref="Go"/> before running the real ffmpeg.</summary>
    public static FfmpegWrapper WaitingBeforeJoin() =>
        Create(_ => "echo $$ > \"$DIR/join-started\"\n" + WaitForGo);

    /// <summary>Runs the real join (the whole output is written), then says so and waits for <see cref="Go"/>, as a slow finish would.</summary>
    public static FfmpegWrapper WaitingAfterJoin() =>
        Create(_ => "\"$REAL\" \"$@\" || exit $?\necho $$ > \"$DIR/join-started\"\n" + WaitForGo + "exit 0\n");

    /// <summary>
    /// When ffmpeg is started to write a file whose name holds <paramref name="fragment"/> (a piece's
    /// encoder: "shot-00001-"), says so in <see cref="JoinStarted"/> and waits for <see cref="Go"/>:
    /// the run is held in the middle of that piece, where a test can kill it.
    /// </summary>
    public static FfmpegWrapper WaitingWhenWriting(string fragment) =>
        Create(_ => "echo $$ > \"$DIR/join-started\"\n" + WaitForGo, $"*{fragment}*");

    /// <summary>
    /// When ffmpeg is started with an argument matching the shell pattern <paramref name="trigger"/>,
    /// says so in <see cref="JoinStarted"/> and becomes a process that neither reads nor writes nor
    /// computes (a stalled encoder or decoder), for two minutes at the most.
    /// </summary>
    public static FfmpegWrapper Stalling(string trigger) =>
        Create(_ => "echo $$ > \"$DIR/join-started\"\nexec sleep 120\n", trigger);

    /// <summary>
    /// At the join, leaves a process holding ffmpeg's stderr open, detached as a daemon a wrapper started would be
    /// (killing ffmpeg's process tree does not reach it), then waits for <see cref="Go"/>: a stopped reel waits on
    /// that stream, still running when a second signal comes. Disposing the wrapper kills the detached process.
    /// </summary>
    public static FfmpegWrapper LeavingAStreamOpenAtJoin() =>
        Create(_ => "(setsid sleep 120 & echo $! > \"$DIR/detached\")\necho $$ > \"$DIR/join-started\"\n" + WaitForGo);

    /// <summary>Waits for the go file, two minutes at the most (a test that dies early must not leave it waiting for ever).</summary>
    private const string WaitForGo = "i=0\nwhile [ ! -e \"$DIR/go\" ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done\n";

    /// <param name="atJoin">Shell lines run when the arguments name a .ffconcat list; <c>$LIST</c> (passed in) is its path.</param>
    /// <param name="trigger">The shell pattern of the argument that runs <paramref name="atJoin"/> instead (then <c>$LIST</c> is that argument).</param>
    private static FfmpegWrapper Create(Func<string, string> atJoin, string trigger = "*.ffconcat")
    {
        var dir = TestPaths.NewTempDir();
        var bin = Path.Combine(dir, "bin");
        Directory.CreateDirectory(bin);
        var script = Path.Combine(bin, "ffmpeg");
        File.WriteAllText(script,
            "#!/bin/sh\n" +
            $"REAL='{Ffmpeg.FfmpegPath}'\nDIR='{dir}'\nLIST=''\n" +
            $"for a in \"$@\"; do case \"$a\" in {trigger}) LIST=\"$a\";; esac; done\n" +
            "if [ -n \"$LIST\" ]; then\n" + atJoin("$LIST") + "fi\n" +
            "exec \"$REAL\" \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return new FfmpegWrapper(bin, dir);
    }

    public void Dispose()
    {
        File.WriteAllText(Go, "");
        var detached = Path.Combine(Dir, "detached");
        if (File.Exists(detached) && int.TryParse(File.ReadAllText(detached).Trim(), out var pid))
            using (var kill = System.Diagnostics.Process.Start("kill", new[] { "-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) })!)
                kill.WaitForExit();
    }

    /// <summary>Waits until the join (or the write waited for) has started (the wrapper wrote its pid); fails after a minute.</summary>
    public int WaitForJoin(System.Diagnostics.Process reel)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            if (File.Exists(JoinStarted) && int.TryParse(File.ReadAllText(JoinStarted).Trim(), out var pid)) return pid;
            if (reel.HasExited) Assert.Fail($"reel exited ({reel.ExitCode}) before the join");
            Thread.Sleep(50);
        }
        Assert.Fail("the join did not start within a minute");
        return 0;
    }
}
