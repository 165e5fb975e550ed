namespace AsyncCore.Application;

/// <summary>
/// The root of an application's service tree (Twisted's <c>service.Application</c>): a <see cref="MultiService"/> with
/// the process settings a runner applies when it starts the tree: the file-creation mask (<see cref="Umask"/>) before
/// anything starts, and the user and group (<see cref="Uid"/>, <see cref="Gid"/>) after
/// <see cref="IService.PrivilegedStartService"/> and before <see cref="IService.StartService"/>, as twistd does.
/// </summary>
/// <remarks>
/// <para>The class is not called <c>Application</c>, Twisted's name, because it would share its name with its namespace
/// and every mention of it inside an <c>AsyncCore.*</c> namespace would resolve to the namespace.</para>
/// <para>The process settings are applied on Linux (<c>umask</c>, <c>setgroups</c>, <c>setgid</c>, <c>setuid</c> from
/// libc). Elsewhere they are ignored: Windows has no such process settings, and the other Unix systems are not supported
/// yet (<see cref="ProcessSettingsSupported"/> says which case applies).</para>
/// </remarks>
public class ApplicationService : MultiService
{
    /// <summary>Creates the root of an application.</summary>
    /// <param name="name">The application's name, for logs.</param>
    /// <param name="uid">The user id to switch to after the privileged start, or null to keep the current one.</param>
    /// <param name="gid">The group id to switch to; null with a <paramref name="uid"/> means that user's primary group.</param>
    public ApplicationService(string? name = null, int? uid = null, int? gid = null) : base(name)
    {
        Uid = uid;
        Gid = gid;
    }

    /// <summary>The user id to run as once privileged work is done, or null to keep the current one.</summary>
    public int? Uid { get; set; }

    /// <summary>The group id to run as once privileged work is done, or null (the user's primary group when
    /// <see cref="Uid"/> is set, else the current group).</summary>
    public int? Gid { get; set; }

    /// <summary>The file-creation mask to set before the tree starts (for example 022 octal, written
    /// <c>Convert.ToInt32("022", 8)</c>), or null to keep the current one.</summary>
    public int? Umask { get; set; }

    /// <summary>True where the process settings are applied (Linux); elsewhere they are ignored.</summary>
    public static bool ProcessSettingsSupported => OperatingSystem.IsLinux();

    /// <summary>Sets the process's file-creation mask to <see cref="Umask"/>, if one is given and the OS supports it.</summary>
    public void ApplyUmask()
    {
        if (Umask is { } mask && ProcessSettingsSupported)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(mask, nameof(Umask));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(mask, 511, nameof(Umask));
            _ = ProcessNative.SetUmask(mask);
        }
    }

    /// <summary>
    /// Switches the process to <see cref="Uid"/> and <see cref="Gid"/> (twistd's <c>shedPrivileges</c>): supplementary
    /// groups to the one group, then the group, then the user. Nothing happens when neither is set, when the process
    /// already runs as them, or on an OS without process settings.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The switch was refused (the process is not root, say).</exception>
    public void ShedPrivileges()
    {
        if ((Uid is null && Gid is null) || !ProcessSettingsSupported)
        {
            return;
        }
        var gid = Gid ?? (Uid is { } u ? ProcessNative.PrimaryGroupOf(u) : null);
        ProcessNative.SwitchTo(Uid, gid);
    }
}
