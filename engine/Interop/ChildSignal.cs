using System.Runtime.InteropServices;

namespace Reel.Engine.Interop;

/// <summary>
/// Whether a restore in a host process can see its ffmpeg children end. The .NET runtime learns of a child's
/// exit from SIGCHLD, through the handler it installs when a restore starts its first child. A host that
/// ignores SIGCHLD (the kernel then reaps children before anyone asks) or that puts another disposition in
/// place of that handler afterwards (SIG_DFL, or a handler of its own) hid every exit: the restore waited for
/// ever, its callbacks never called, so it could not even be cancelled. Refused at the call instead.
/// </summary>
internal static unsafe partial class ChildSignal
{
    /// <summary>Linux's number for SIGCHLD (libreel.so is built for Linux only).</summary>
    private const int SigChld = 17;
    private const nint Default = 0, Ignore = 1;

    /// <summary>The runtime's SIGCHLD handler, once a restore has started a child; 0 before.</summary>
    private static nint s_runtimeHandler;

    // glibc's sigaction; only the handler, the struct's first field, is read. The buffer is larger than glibc's 152-byte struct.
    [LibraryImport("libc", EntryPoint = "sigaction")]
    private static partial int Sigaction(int signal, void* action, void* old);

    /// <summary>SIGCHLD's disposition now: SIG_DFL (0), SIG_IGN (1) or a handler's address; null where it cannot be read.</summary>
    private static nint? Disposition()
    {
        // SAFETY: a query (no new action) into a buffer larger than glibc's struct sigaction, whose first field is the handler.
        byte* old = stackalloc byte[256];
        return Sigaction(SigChld, null, old) == 0 ? *(nint*)old : null;
    }

    /// <summary>Throws, naming what to change, where this restore could not see its children end; else SIGCHLD's disposition, for <see cref="Remember"/>.</summary>
    public static nint? RefuseUnseeable()
    {
        var now = Disposition();
        if (now == Ignore)
            throw new ReelException("SIGCHLD is ignored in this process (SIG_IGN): the system reaps ffmpeg before libreel can see it end, " +
                                    "and the restore would wait for ever; set SIGCHLD to SIG_DFL, or to a handler that does not reap every child, before the call");
        if (s_runtimeHandler != 0 && now is { } disposition && disposition != s_runtimeHandler)
            throw new ReelException("SIGCHLD's handler was replaced after libreel's first restore installed its own" +
                                    (disposition == Default ? " (set back to SIG_DFL)" : "") +
                                    ": libreel could not see ffmpeg end, and the restore would wait for ever; install the host's SIGCHLD handler " +
                                    "before the first restore (libreel's passes SIGCHLD on to it), and leave libreel's in place after");
        return now;
    }

    /// <summary>
    /// After a restore: the handler the runtime installed when it started its first child, to tell it from another later;
    /// a handler already there before (<paramref name="before"/>) is the host's, which the runtime passes SIGCHLD on to.
    /// </summary>
    public static void Remember(nint before)
    {
        if (s_runtimeHandler == 0 && Disposition() is { } now && now != before && now != Default && now != Ignore) s_runtimeHandler = now;
    }
}
