using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Reel.Engine.Pipeline;

/// <summary>
/// This process's exclusive claim on a work folder: an advisory lock (flock) on the lock file in
/// it, which the kernel releases when the process ends, however it ends, so a crash or SIGKILL
/// never leaves a stale lock behind. The lock file holds the owner's process id, so a run that
/// is refused can say who holds the folder. The lock is on the file, not its name: runs that
/// reach the folder through different paths (a symbolic link, a bind mount) still exclude each
/// other. The same lock on a file of its own claims one item of work in a folder many processes
/// share (<see cref="TryAcquire"/>).
/// </summary>
public sealed class WorkFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the folder; whoever clears the folder leaves it alone.</summary>
    public const string FileName = ".reel.lock";

    private readonly Descriptor _fd;
    private readonly string _path;

    private WorkFolderLock(string folder, Descriptor fd, string path) => (Folder, _fd, _path) = (folder, fd, path);

    /// <summary>The claimed folder's absolute path.</summary>
    public string Folder { get; }

    /// <summary>
    /// Claims <paramref name="folder"/> (made if missing) or refuses with a one-line
    /// <see cref="ReelException"/> naming the process that holds it.
    /// </summary>
    /// <param name="purpose">What holding the folder means, for the refusal ("writing out.mp4").</param>
    public static WorkFolderLock Acquire(string folder, string purpose)
    {
        folder = Path.GetFullPath(folder);
        var claim = TryAcquire(folder, FileName, out var owner);
        if (claim is not null) return claim;
        // Two threads of one host program (the C ABI) hold flocks as two processes do; "another reel process" named this one.
        if (owner == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            throw new ReelException($"another call in this process is {purpose}; wait for it to finish or cancel it ({folder} is locked)");
        throw new ReelException($"another reel process (pid {owner}) is {purpose}; wait for it to finish or stop it ({folder} is locked)");
    }

    /// <summary>
    /// Claims the lock file <paramref name="name"/> in <paramref name="folder"/> (both made if
    /// missing): the whole folder with <see cref="FileName"/>, or one item of work in a folder that
    /// many processes share (a plan's shot: see <see cref="ShardWorker"/>). Returns null when another
    /// process holds it, with that process's id in <paramref name="owner"/>.
    /// </summary>
    public static WorkFolderLock? TryAcquire(string folder, string name, out string owner)
    {
        folder = Path.GetFullPath(folder);
        var path = Path.Combine(folder, name);
        owner = "";
        // Each pass either claims the file the path names or learns that another run holds it; a pass
        // only repeats when the folder was removed or replaced under it, which ends when its owner does.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // .NET's own words named a hidden folder the user never gave ("Could not find file '/proc/.x.reel-work'").
                throw new ReelException($"cannot make the work folder {folder} ({e.Message.TrimEnd('.')}); the output must go in a folder you can write to");
            }
            int fd = Libc.Open(path, Libc.ORdwr | Libc.OCreat | Libc.OCloexec, 0b110_100_100);
            if (fd < 0)
            {
                if (Marshal.GetLastPInvokeError() == Libc.ENoent && attempt < 100) continue;
                throw Libc.Fail("open", path);
            }
            var handle = new Descriptor(fd);
            if (Libc.Flock(fd, Libc.LockEx | Libc.LockNb) != 0)
            {
                var error = Marshal.GetLastPInvokeError() == Libc.EAgain ? null : Libc.Fail("flock", path);
                if (error is not null)
                {
                    handle.Dispose();
                    throw error;
                }
                owner = ReadOwner(handle);
                handle.Dispose();
                return null;
            }
            // The previous owner may have removed the folder between our open and our lock: then we
            // hold a file nobody else will ever see, and must lock what the path names now.
            if (Libc.Identity(path) != Libc.IdentityOf(fd, path))
            {
                handle.Dispose();
                continue;
            }
            // The host too: on a shared volume the holder may be a process on another machine.
            var pid = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n{Environment.MachineName}\n"));
            // SAFETY: pwrite reads pid.Length bytes from the pinned array.
            unsafe
            {
                fixed (byte* p = pid)
                    if (Libc.Ftruncate(fd, 0) != 0 || Libc.Pwrite(fd, p, (nuint)pid.Length, 0) != pid.Length)
                    {
                        var error = Libc.Fail("write", path);
                        handle.Dispose();
                        throw error;
                    }
            }
            return new WorkFolderLock(folder, handle, path);
        }
    }

    /// <summary>
    /// The holder's pid as it wrote it ("4242", or "4242 on node7" when it runs on another host);
    /// it writes it right after locking, so a reader may briefly find the file empty.
    /// </summary>
    private static string ReadOwner(Descriptor handle)
    {
        Span<byte> buffer = stackalloc byte[320];
        for (int attempt = 0; attempt < 20; attempt++)
        {
            nint n;
            // SAFETY: pread writes at most buffer.Length bytes into the pinned buffer, and returns how many (n ≤ Length).
            unsafe
            {
                fixed (byte* p = buffer) n = Libc.Pread((int)handle.DangerousGetHandle(), p, (nuint)buffer.Length, 0);
            }
            Debug.Assert(n <= buffer.Length);
            var lines = n > 0 ? Encoding.UTF8.GetString(buffer[..(int)n]).Split('\n') : Array.Empty<string>();
            if (lines.Length > 0 && int.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                var host = lines.Length > 1 ? lines[1].Trim() : "";
                return host.Length == 0 || host == Environment.MachineName
                    ? pid.ToString(CultureInfo.InvariantCulture)
                    : string.Create(CultureInfo.InvariantCulture, $"{pid} on {host}");
            }
            Thread.Sleep(25);
        }
        return "unknown";
    }

    /// <summary>Removes the folder and everything in it, then lets go of the claim.</summary>
    public void DeleteFolder()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(Folder))
        {
            if (Path.GetFileName(entry) == FileName) continue;
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
        File.Delete(_path);
        try
        {
            Directory.Delete(Folder);
        }
        catch (IOException)
        {
            // Another run made its lock file here after ours was unlinked: the folder is its now.
        }
        Dispose();
    }

    /// <summary>Lets go of the claim (the lock file stays; another run may claim it at once).</summary>
    public void Dispose() => _fd.Dispose();

    /// <summary>The lock file's descriptor; closing it releases the lock.</summary>
    private sealed class Descriptor : SafeHandleMinusOneIsInvalid
    {
        public Descriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

        protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
    }
}
