using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace AsyncCore.Runner.Tests;

/// <summary>The <c>asynccore</c> runner started as a real child process, with its output collected.</summary>
internal sealed class RunnerProcess : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private RunnerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _stdout.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _stderr.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Stdout => string.Join("\n", _stdout);

    public IReadOnlyList<string> StderrLines => [.. _stderr];

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AsyncCore.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("AsyncCore.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The configuration this test assembly was built in (the runner and the sample were built with it).</summary>
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public static string RunnerDll => Path.Combine(RepositoryRoot(), "src", "AsyncCore.Runner", "bin", Configuration, "net10.0", "AsyncCore.Runner.dll");

    public static string SampleDll => Path.Combine(RepositoryRoot(), "samples", "MultiService", "bin", Configuration, "net10.0", "MultiService.dll");

    public static string TestsDll => typeof(RunnerProcess).Assembly.Location;

    public static RunnerProcess Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RunnerDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return new RunnerProcess(Process.Start(start)!);
    }

    /// <summary>Waits (bounded, generously) for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExit()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The runner did not exit within {Patience.TotalSeconds} s. Output: {Stdout} Errors: {string.Join("\n", _stderr)}");
        }
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>Waits until the standard output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutput(string text)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited && !Stdout.Contains(text, StringComparison.Ordinal),
                $"The runner exited before writing '{text}'. Output: {Stdout} Errors: {string.Join("\n", _stderr)}");
            Assert.True(DateTime.UtcNow < deadline, $"The runner did not write '{text}'. Output: {Stdout}");
            await Task.Delay(50);
        }
    }

    public void Signal(int signal) => Assert.Equal(0, kill(_process.Id, signal));

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    public const int SigInt = 2, SigTerm = 15;

    /// <summary>
    /// Whether this process ignores SIGINT, which its children then inherit: bash starts a non-interactive script's
    /// background jobs (and nohup its command) that way. Read from the kernel's mask of ignored signals.
    /// </summary>
    public static bool SigIntIgnoredHere()
    {
        const string Path = "/proc/self/status";
        if (!File.Exists(Path))
        {
            return false;
        }
        var line = File.ReadLines(Path).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << (SigInt - 1))) != 0;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
