using System.Diagnostics;
using System.Globalization;

namespace AsyncCore.Transports;

/// <summary>
/// A lock between processes held as a file (Twisted's <c>twisted.python.lockfile.FilesystemLock</c>): the lock is a
/// symbolic link named <see cref="Name"/> whose target is the owner's process id. Creating a symbolic link is atomic and
/// fails when the name exists, so one process at a time gets it; a lock whose owner process is gone is stale and is
/// taken over (then <see cref="Clean"/> is false). Used for the PID lock file of a UNIX socket (<c>unix:PATH:lockfile=1</c>).
/// </summary>
/// <remarks>
/// As in Twisted, two processes taking over the same stale lock at the same moment may race; a live owner is never
/// displaced. The owner check sees whether a process with that id exists (as <c>kill(pid, 0)</c> does), so a process id
/// reused by an unrelated process keeps a stale lock held.
/// </remarks>
public sealed class FilesystemLock
{
    // Takeovers and vanishing locks make Lock loop; a bound turns an endless fight over the name into a plain "not acquired".
    private const int MaxAttempts = 100;

    /// <summary>Creates the lock for the file <paramref name="name"/>; nothing happens on disk until <see cref="Lock"/>.</summary>
    public FilesystemLock(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The lock file (a symbolic link to the owner's process id).</summary>
    public string Name { get; }

    /// <summary>True while this object holds the lock.</summary>
    public bool Locked { get; private set; }

    /// <summary>
    /// After a successful <see cref="Lock"/>: true when the previous owner released the lock, false when a stale lock
    /// (its owner process gone) was taken over. Null before.
    /// </summary>
    public bool? Clean { get; private set; }

    /// <summary>Tries to take the lock; true when this process now holds it, false when a live process does.</summary>
    /// <exception cref="IOException">
    /// The lock file cannot be created (no such directory, no permission), or <see cref="Name"/> exists and is not a lock
    /// (not a symbolic link to a process id).
    /// </exception>
    /// <exception cref="UnauthorizedAccessException">No permission to create or remove the lock file.</exception>
    public bool Lock()
    {
        var clean = true;
        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            try
            {
                File.CreateSymbolicLink(Name, self);
            }
            catch (IOException) when (EntryExists(Name))
            {
                var owner = ReadOwner(Name);
                if (owner is null)
                {
                    // The lock vanished between the two calls: try again.
                    continue;
                }
                if (IsAlive(owner.Value))
                {
                    return false;
                }
                // The owner is gone: the lock is stale. Remove it and try again (File.Delete removes the link itself).
                File.Delete(Name);
                clean = false;
                continue;
            }
            Locked = true;
            Clean = clean;
            return true;
        }
        return false;
    }

    /// <summary>Releases the lock (removes the lock file).</summary>
    /// <exception cref="InvalidOperationException">The lock file is not held by this process.</exception>
    public void Unlock()
    {
        var owner = ReadOwner(Name);
        if (owner != Environment.ProcessId)
        {
            throw new InvalidOperationException($"Lock {Name} is not owned by this process.");
        }
        File.Delete(Name);
        Locked = false;
    }

    /// <summary>
    /// True when a live process holds the lock <paramref name="name"/> (Twisted's <c>isLocked</c>). A free or stale lock
    /// is taken and released to find out, so a stale one is removed.
    /// </summary>
    public static bool IsLocked(string name)
    {
        var fileLock = new FilesystemLock(name);
        var acquired = false;
        try
        {
            acquired = fileLock.Lock();
        }
        finally
        {
            if (acquired)
            {
                fileLock.Unlock();
            }
        }
        return !acquired;
    }

    /// <summary>The process id a lock file points to; null when it vanished.</summary>
    /// <exception cref="IOException">The name exists and is not a lock.</exception>
    private static int? ReadOwner(string name)
    {
        var target = new FileInfo(name).LinkTarget;
        if (target is null)
        {
            if (EntryExists(name))
            {
                throw new IOException($"{name} exists and is not a lock file (a symbolic link to a process id).");
            }
            return null;
        }
        if (!int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            throw new IOException($"{name} is not a lock file: it points to '{target}', not to a process id.");
        }
        return pid;
    }

    private static bool EntryExists(string name)
    {
        // FileInfo sees the link itself, even when it dangles (a lock's target is a process id, not a file).
        var info = new FileInfo(name);
        return info.Exists || info.LinkTarget is not null || Directory.Exists(name);
    }

    private static bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return true;
        }
        catch (ArgumentException)
        {
            // No process with that id.
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
