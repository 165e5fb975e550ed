using System.Runtime.InteropServices;

namespace AsyncCore.Transports;

/// <summary>
/// Recognises a UNIX socket file, so that a stale one left by a dead process can be removed before binding (Twisted's
/// <c>stat.S_ISSOCK</c> check in <c>unix.Port.startListening</c>). .NET's file APIs do not tell a socket from a regular
/// file, so this asks the kernel with <c>statx</c>, whose layout is the same on every Linux architecture.
/// </summary>
internal static class UnixSocketFile
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28;
    private const int TypeMask = 0xF000;
    private const int SocketType = 0xC000;

    /// <summary>
    /// Removes <paramref name="path"/> if it is a socket file; best effort, as Twisted's: when it cannot tell or cannot
    /// remove, the bind that follows fails with a clear error.
    /// </summary>
    public static void RemoveIfSocket(string path)
    {
        try
        {
            if (IsSocket(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            // Best effort (see above).
        }
    }

    /// <summary>True when <paramref name="path"/> is a socket file (not following a symbolic link); false elsewhere than Linux.</summary>
    public static bool IsSocket(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        // struct statx is 256 bytes; stx_mode is a 16-bit field at offset 28 on every architecture.
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            return false;
        }
        var mode = BitConverter.ToUInt16(buffer, ModeOffset);
        return (mode & TypeMask) == SocketType;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, [Out] byte[] buffer);
}
