using System.Runtime.InteropServices;

namespace Reel.Engine;

/// <summary>
/// The few POSIX calls .NET has no public API for: advisory whole-file locks (flock, released by
/// the kernel when the holder dies), a file's device and inode (statx), and whether a process is
/// alive (kill with signal 0). Linux only, as the rest of Reel. Every failure goes through
/// <see cref="Fail"/>, which names the call, the path and the C library's own message.
/// </summary>
internal static partial class Libc
{
    private const string Library = "libc";

    public const int ORdwr = 0x2, OCreat = 0x40, OCloexec = 0x80000;
    public const int LockEx = 2, LockNb = 4;
    public const int EAgain = 11, ENoent = 2, ESrch = 3;
    private const int AtFdCwd = -100, AtEmptyPath = 0x1000, StatxIno = 0x100;

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    // SAFETY (pread, pwrite): the caller's buffer is pinned and holds at least count bytes.
    [LibraryImport(Library, EntryPoint = "pread", SetLastError = true)]
    public static unsafe partial nint Pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Library, EntryPoint = "pwrite", SetLastError = true)]
    public static unsafe partial nint Pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Library, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    // SAFETY: buffer holds the 256 bytes of struct statx (StatxIdentity's stack buffer).
    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    /// <summary>True unless no process has this id (a live process of another user counts as alive).</summary>
    public static bool ProcessExists(int pid) => Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != ESrch;

    /// <summary>Device and inode of a path (symbolic links followed), or null when nothing is there.</summary>
    public static FileIdentity? Identity(string path) => StatxIdentity(AtFdCwd, path, 0);

    /// <summary>Device and inode of an open file descriptor.</summary>
    public static FileIdentity IdentityOf(int fd, string pathForErrors) =>
        StatxIdentity(fd, "", AtEmptyPath) ?? throw Fail("statx", pathForErrors);

    private static unsafe FileIdentity? StatxIdentity(int dirFd, string path, int flags)
    {
        // struct statx has one layout on every architecture (linux/stat.h): 256 bytes,
        // stx_ino at offset 32, stx_dev_major and stx_dev_minor at 136 and 140.
        // SAFETY: statx fills at most the 256 bytes of struct statx, and the reads end at offset 144.
        byte* buffer = stackalloc byte[256];
        if (Statx(dirFd, path, flags, StatxIno, buffer) != 0)
        {
            if (Marshal.GetLastPInvokeError() == ENoent) return null;
            throw Fail("statx", path);
        }
        return new FileIdentity(((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140), *(ulong*)(buffer + 32));
    }

    /// <summary>The error of the call just made, as an <see cref="IOException"/> naming the call and the path.</summary>
    public static IOException Fail(string call, string path) =>
        new($"{call} {path}: {Marshal.GetLastPInvokeErrorMessage()}", Marshal.GetLastPInvokeError());
}
