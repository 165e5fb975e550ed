using System.Runtime.InteropServices;

namespace AsyncCore.Application;

/// <summary>The libc calls behind <see cref="ApplicationService"/>'s process settings (Linux only).</summary>
internal static class ProcessNative
{
    // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... } on 64-bit glibc and musl.
    private const int PasswdGidOffset = 20;

    /// <summary>Sets the file-creation mask; returns the previous one.</summary>
    public static int SetUmask(int mask) => (int)umask((uint)mask);

    /// <summary>The current file-creation mask (read by setting it and putting it back).</summary>
    public static int GetUmask()
    {
        var current = umask(18);
        _ = umask(current);
        return (int)current;
    }

    public static int CurrentUid => (int)getuid();

    public static int CurrentGid => (int)getgid();

    /// <summary>The primary group of <paramref name="uid"/>, or null when the user is unknown.</summary>
    public static int? PrimaryGroupOf(int uid)
    {
        if (IntPtr.Size != 8)
        {
            return null;
        }
        var entry = getpwuid((uint)uid);
        return entry == IntPtr.Zero ? null : Marshal.ReadInt32(entry, PasswdGidOffset);
    }

    /// <summary>Switches groups then user; a no-op for ids the process already has.</summary>
    public static void SwitchTo(int? uid, int? gid)
    {
        if (gid is { } g && g != CurrentGid)
        {
            Check(setgroups(1, [(uint)g]), $"setgroups({g})");
            Check(setgid((uint)g), $"setgid({g})");
        }
        if (uid is { } u && u != CurrentUid)
        {
            Check(setuid((uint)u), $"setuid({u})");
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new UnauthorizedAccessException($"{call} failed ({Marshal.GetPInvokeErrorMessage(errno)}); is the process root?");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern uint umask(uint mask);

    [DllImport("libc")]
    private static extern uint getuid();

    [DllImport("libc")]
    private static extern uint getgid();

    [DllImport("libc", SetLastError = true)]
    private static extern int setuid(uint uid);

    [DllImport("libc", SetLastError = true)]
    private static extern int setgid(uint gid);

    [DllImport("libc", SetLastError = true)]
    private static extern int setgroups(nuint size, uint[] list);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr getpwuid(uint uid);
}
