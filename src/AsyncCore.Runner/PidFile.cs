using System.Diagnostics;
using System.Globalization;

namespace AsyncCore.Runner;

/// <summary>The pid file is held by a live process.</summary>
internal sealed class PidFileInUseException(string message) : Exception(message);

/// <summary>
/// twistd's pid file: written with this process's id at start and removed at exit; a file naming a live process makes
/// the start refuse, one naming a dead process (or holding garbage) is stale and replaced.
/// </summary>
internal sealed class PidFile : IDisposable
{
    private PidFile(string path) => Path = path;

    public string Path { get; }

    /// <summary>What was replaced: the stale pid, or null.</summary>
    public string? Replaced { get; private init; }

    public static PidFile Acquire(string path)
    {
        string? replaced = null;
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId && IsAlive(pid))
            {
                throw new PidFileInUseException($"pid file {path} names a running process ({pid}); is the application already running?");
            }
            replaced = text.Length == 0 ? "(empty)" : text;
        }
        File.WriteAllText(path, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        return new PidFile(path) { Replaced = replaced };
    }

    public void Dispose()
    {
        try
        {
            // Only our own: a later runner may have replaced it.
            if (File.Exists(Path) && File.ReadAllText(Path).Trim() == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                File.Delete(Path);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
