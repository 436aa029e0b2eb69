using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Reel.Engine;
using Reel.Engine.Pipeline;

namespace Reel.Cli.Commands;

/// <summary>
/// `reel restore run --devices 0,1,…`: one worker process per GPU of this host, each seeing only
/// its GPU (CUDA_VISIBLE_DEVICES) and restoring its own part of the shard (shard I of N splits into
/// parts I·G … I·G + G − 1 of N·G, which are exactly its shots: see <see cref="Shard"/>). Processes,
/// not threads: each has its own CUDA context and memory, and one that dies takes no other with it.
/// The memory budget is shared among them. Their stderr comes through here: on a terminal each
/// worker's stages get bars of their own, under its device; each plain line is prefixed with its
/// device ("[device 0] "), each JSON line given a last field "device" ("0") and `elapsed_s` on this
/// process's clock, so that a scheduler reading the lines can tell the workers apart and time
/// never runs backwards in the stream. SIGINT, SIGTERM and SIGHUP
/// are passed on to every worker as SIGTERM; Kubernetes signals only a container's first process.
/// A parent that dies without passing anything on (SIGKILL, the OOM killer) has the kernel send each worker SIGTERM
/// (<see cref="FollowParent"/>): orphaned, they went on for their whole shard, holding the GPUs and shot locks unseen.
/// </summary>
public static partial class DeviceWorkers
{
    private const int SigTerm = 15;
    private const int PrSetPdeathsig = 1;
    private const string ErrorPrefix = "reel: error: ";
    /// <summary>Set in each worker's environment to its parent's pid: the worker follows that process (<see cref="FollowParent"/>).</summary>
    private const string ParentVariable = "REEL_DEVICES_PARENT";

    /// <summary>"0,1,3" → the device ids, each once.</summary>
    public static IReadOnlyList<string> Parse(string list)
    {
        var ids = list.Split(',', StringSplitOptions.TrimEntries);
        if (ids.Length == 0 || ids.Any(id => id.Length == 0 || !id.All(char.IsAsciiDigit)) || ids.Distinct().Count() != ids.Length)
            throw new UsageException($"--devices takes GPU numbers separated by commas, each once (0,1,2), got '{list}'");
        return ids;
    }

    /// <summary>Runs the workers to their end; the exit code is 0 when every one finished its part.</summary>
    /// <param name="saveEvery">The workers' --save-every; null: the plan's.</param>
    public static int Run(string workdir, Shard shard, IReadOnlyList<string> devices, string device, string? precision, long budgetBytes,
        TimeSpan? saveEvery, ProgressMode mode, CancellationToken cancel)
    {
        // Refused here, once, rather than by every worker.
        DeviceChoice.RefusePrecisionOnCpu(device, precision);
        // Lines written whole and in the order their times were taken, from every worker's relay.
        var gate = new object();
        if (mode == ProgressMode.Bar)
        {
            // The workers report as JSON, which the bar reads: each worker's stages get bars of their own, under its device.
            ProgressDisplay.RunBar(bar => RunWorkers(workdir, shard, devices, device, precision, budgetBytes, saveEvery, "json", cancel, (id, line) =>
            {
                if (ProgressLines.Parse(line) is { } p) bar.Report(p, id);
                // A worker's end line says what its exit code says, which this run gives once all have ended; any other line
                // (a worker's error, or JSON cut short by its death) is shown as it came.
                else if (!ProgressLines.IsEnd(line)) bar.Say($"[device {id}] {line}");
            }, bar.Report));
        }
        else
            RunWorkers(workdir, shard, devices, device, precision, budgetBytes, saveEvery, mode == ProgressMode.Json ? "json" : "plain", cancel, (id, line) =>
            {
                lock (gate)
                    Console.Error.WriteLine(mode == ProgressMode.Json && ProgressLines.Retagged(line, id, RunClock.Elapsed) is { } json ? json : $"[device {id}] {line}");
            }, (note, _) =>
            {
                // A `note` line under --progress json, as the workers' own notes are: a reader of the stream took this one for garbage.
                lock (gate)
                    Console.Error.WriteLine(mode == ProgressMode.Json ? ProgressLines.Json(note) : $"note: {note.Detail}");
            });
        Console.Error.WriteLine($"shard {shard} of {workdir} is done on devices {string.Join(',', devices)}");
        return 0;
    }

    /// <summary>
    /// Starts a worker per device, each reporting with `--progress <paramref name="workerProgress"/>`, hands each line of theirs to
    /// <paramref name="relay"/> (with the device), and waits for them all; <paramref name="note"/> shows this run's own notes.
    /// Throws, naming each worker that failed and why, unless every one finished its part.
    /// </summary>
    private static void RunWorkers(string workdir, Shard shard, IReadOnlyList<string> devices, string device, string? precision, long budgetBytes,
        TimeSpan? saveEvery, string workerProgress, CancellationToken cancel, Action<string, string> relay, Action<RestoreProgress, string?> note)
    {
        if (device == "cpu" && devices.Count > 1)
            note(new RestoreProgress(RestoreStage.Note, 0, 0, $"--device cpu: the {devices.Count} workers share this machine's CPU cores, no faster together than one alone",
                RunClock.Elapsed), null);
        var (exe, prefix) = Self();
        var workers = new List<(string Device, Shard Part, Process Process, Task Relay)>();
        // Each worker's own error line, given again in the parent's: "exited with 1" alone sent the user to run again what
        // could not succeed (an input gone).
        var reasons = new string?[devices.Count];
        try
        {
            for (int g = 0; g < devices.Count; g++)
            {
                var part = shard.Part(g, devices.Count);
                var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in prefix.Concat(new[]
                         {
                             "restore", "run", workdir, "--shard", part.ToString(), "--device", device,
                             "--memory-mb", Math.Max(1, budgetBytes / devices.Count >> 20).ToString(CultureInfo.InvariantCulture),
                             "--progress", workerProgress,
                         }.Concat(precision is null ? Array.Empty<string>() : new[] { "--precision", precision })
                          .Concat(saveEvery is not { } every ? Array.Empty<string>()
                              : new[] { "--save-every", every.TotalSeconds.ToString("R", CultureInfo.InvariantCulture) })))
                    psi.ArgumentList.Add(a);
                psi.Environment["CUDA_VISIBLE_DEVICES"] = devices[g];
                psi.Environment[ParentVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
                var p = Process.Start(psi) ?? throw new ReelException($"could not start a worker for device {devices[g]}");
                int worker = g;
                string id = devices[g];
                var lines = Task.Run(() =>
                {
                    while (p.StandardError.ReadLine() is { } line)
                    {
                        if (line.StartsWith(ErrorPrefix, StringComparison.Ordinal)) reasons[worker] = line[ErrorPrefix.Length..];
                        try
                        {
                            relay(id, line);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            // Shown as it came, and the pipe still read: a relay that stopped reading would leave the worker
                            // blocked on a full pipe and this run waiting for it forever.
                            Console.Error.WriteLine($"[device {id}] {line}");
                        }
                    }
                });
                workers.Add((devices[g], part, p, lines));
            }
            using (cancel.Register(() =>
                   {
                       lock (workers)
                           foreach (var w in workers.Where(w => !w.Process.HasExited)) Kill(w.Process.Id, SigTerm);
                   }))
                foreach (var w in workers)
                {
                    w.Process.WaitForExit();
                    w.Relay.Wait(CancellationToken.None);
                }
            cancel.ThrowIfCancellationRequested();
            var failed = workers.Select((w, g) => (w.Device, w.Part, w.Process.ExitCode, Reason: reasons[g])).Where(w => w.ExitCode != 0).ToList();
            if (failed.Count > 0)
                throw new ReelException(string.Join("; ", failed.Select(w => $"the worker on device {w.Device} (shard {w.Part}) exited with {w.ExitCode}" +
                                                                             (w.Reason is null ? "" : $" ({w.Reason})"))) +
                                        (failed.Any(w => w.Reason is not null) ? "; once that is dealt with, run" : "; run") +
                                        $" the same command again to make the shots {(failed.Count == 1 ? "it" : "they")} left");
        }
        finally
        {
            foreach (var w in workers) w.Process.Dispose();
        }
    }

    /// <summary>
    /// In a worker of <see cref="Run"/>: the kernel sends it SIGTERM when its parent dies, which stops it as a SIGTERM the
    /// parent passes on does (the shot's training saved). The parent is the thread that started it, which waits for it
    /// to the end. A parent gone already (between the start and this call) is followed at once.
    /// </summary>
    public static void FollowParent()
    {
        var text = Environment.GetEnvironmentVariable(ParentVariable);
        // Read once: the ffmpeg processes this worker starts are not its parent's workers.
        Environment.SetEnvironmentVariable(ParentVariable, null);
        if (!int.TryParse(text, CultureInfo.InvariantCulture, out int parent)) return;
        if (Prctl(PrSetPdeathsig, SigTerm, 0, 0, 0) != 0)
            throw new ReelException($"could not ask to be stopped with the --devices process that started this worker (prctl: {Marshal.GetLastPInvokeErrorMessage()})");
        if (Getppid() != parent) Kill(Environment.ProcessId, SigTerm);
    }

    /// <summary>How to start this same reel: the executable itself, or `dotnet reel.dll` where the runtime's host started it.</summary>
    private static (string Exe, string[] Prefix) Self()
    {
        var exe = Environment.ProcessPath ?? throw new ReelException("cannot tell where this reel executable is, to start its workers");
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" ? (exe, new[] { Environment.GetCommandLineArgs()[0] }) : (exe, Array.Empty<string>());
    }

    // SAFETY: kill(2) with a pid this process started and a plain signal number; a worker that has
    // already exited makes it fail with ESRCH, which is what we want to happen then (nothing).
    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    // SAFETY: prctl(2) with PR_SET_PDEATHSIG and a plain signal number; its other arguments are unused and passed as 0.
    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int Getppid();
}
