namespace Reel.Engine;

/// <summary>
/// What a path is on disk, not how it is spelled: two paths name the same file exactly when
/// device and inode agree (through symbolic links, bind mounts, hard links or `..`).
/// </summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    /// <summary>The identity of what <paramref name="path"/> names now, or null when nothing is there.</summary>
    public static FileIdentity? Of(string path) => Libc.Identity(path);

    /// <summary>True when both paths exist and are the same file or folder.</summary>
    public static bool Same(string a, string b) => Of(a) is { } x && Of(b) is { } y && x == y;
}
