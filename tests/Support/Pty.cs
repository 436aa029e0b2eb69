using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Reel.Tests.Support;

/// <summary>A pseudo-terminal's master side: closing it hangs the terminal up, as sshd does when the connection drops.</summary>
public sealed partial class Pty : IDisposable
{
    private const int ORdWr = 0x2, ONoCtty = 0x100, OCloExec = 0x80000;
    private readonly FileStream _master;

    private Pty(FileStream master, string name) => (_master, Name) = (master, name);

    /// <summary>The terminal's device (/dev/pts/N), for the process that uses it.</summary>
    public string Name { get; }

    public static unsafe Pty Open()
    {
        // Close-on-exec: a child holding the master too would keep the terminal up.
        int fd = PosixOpenpt(ORdWr | ONoCtty | OCloExec);
        Assert.True(fd >= 0, $"posix_openpt failed ({Marshal.GetLastPInvokeError()})");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var name = stackalloc byte[256];
        Assert.True(GrantPt(fd) == 0 && UnlockPt(fd) == 0 && PtsNameR(fd, name, 256) == 0, "the pty could not be set up");
        return new Pty(new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0), Marshal.PtrToStringUTF8((nint)name)!);
    }

    /// <summary>
    /// Starts reel (<see cref="ReelProcess.Command"/>) with <paramref name="args"/> in <paramref name="dir"/>, leading a session of its
    /// own whose controlling terminal, stdin, stdout and stderr are this one, <paramref name="columns"/> wide, as a login shell's
    /// job is: with the progress bar a terminal gets by default. SIGHUP is restored to its default, as a shell's job has it.
    /// </summary>
    public Process Start(string dir, int columns, params string[] args)
    {
        var psi = new ProcessStartInfo("sh") { UseShellExecute = false, WorkingDirectory = dir };
        foreach (var a in new[] { "-c", "exec <\"$0\" >\"$0\" 2>&1; stty cols \"$1\"; shift; exec setsid --ctty --wait \"$@\"", Name,
                         columns.ToString(CultureInfo.InvariantCulture), "env", "--default-signal=HUP", "TERM=xterm" }
                     .Concat(ReelProcess.Command()).Concat(args))
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>What the terminal shows until <paramref name="text"/> appears, the process ends or <paramref name="limit"/> passes.</summary>
    public string ReadUntil(string text, TimeSpan limit)
    {
        var shown = new System.Text.StringBuilder();
        var reading = Task.Run(() =>
        {
            var buffer = new byte[4096];
            try
            {
                int n;
                while (!shown.ToString().Contains(text) && (n = _master.Read(buffer)) > 0) shown.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
            }
            catch (IOException)
            {
                // EIO: every process using the terminal has closed it.
            }
        });
        reading.Wait(limit);
        return shown.ToString();
    }

    public void Dispose() => _master.Dispose();

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenpt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt")]
    private static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt")]
    private static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r")]
    private static unsafe partial int PtsNameR(int fd, byte* buffer, nuint length);
}
