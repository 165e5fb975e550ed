using AsyncCore.Tests.Shared;
using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace AsyncCore.Samples.Tests;

/// <summary>One sample started as its own process, with its output collected line by line.</summary>
internal sealed class SampleRun : IDisposable
{
    /// <summary>How long a sample may take before the test fails (the samples finish in seconds).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _errors = new();
    private readonly SemaphoreSlim _lineAdded = new(0);

    private SampleRun(Process process)
    {
        _process = process;
    }

    /// <summary>Starts samples/<paramref name="name"/> with <paramref name="args"/> and extra environment variables.</summary>
    public static SampleRun Start(string name, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(RepositoryRoot, "samples", name, "bin", Configuration, "net10.0", name + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (dotnet build AsyncCore.sln -c {Configuration}).");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args ?? [])
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        var run = new SampleRun(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (run._lines)
                {
                    run._lines.Add(e.Data);
                }
                run._lineAdded.Release();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (run._errors)
                {
                    run._errors.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Runs a sample to its end and returns its exit code and standard output.</summary>
    public static async Task<(int ExitCode, IReadOnlyList<string> Lines, string Errors)> RunToEnd(
        string name, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null)
    {
        using var run = Start(name, args, environment);
        var code = await run.WaitForExit();
        return (code, run.Lines, run.Errors);
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>Waits for a line of output that contains <paramref name="text"/>, and returns it.</summary>
    public async Task<string> WaitForLine(string text)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            if (Lines.FirstOrDefault(line => line.Contains(text, StringComparison.Ordinal)) is { } found)
            {
                return found;
            }
            if (_process.HasExited && _lineAdded.CurrentCount == 0)
            {
                Assert.Fail($"The sample exited ({_process.ExitCode}) without printing \"{text}\".\nOutput:\n{string.Join('\n', Lines)}\nErrors:\n{Errors}");
            }
            try
            {
                await _lineAdded.WaitAsync(TimeSpan.FromMilliseconds(200), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"No line with \"{text}\" within {Patience}.\nOutput:\n{string.Join('\n', Lines)}\nErrors:\n{Errors}");
            }
        }
    }

    /// <summary>Sends SIGTERM, as a service manager or Ctrl+C would stop the program.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExit()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The sample did not exit within {Patience}.\nOutput:\n{string.Join('\n', Lines)}\nErrors:\n{Errors}");
        }
        _process.WaitForExit(); // drains the output events
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
        _lineAdded.Dispose();
    }

    /// <summary>The environment variable a server sample needs; absent, the test skips (and fails under CI).</summary>
    public static string RequireServer(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }
        var reason = $"{variable} is not set: no server for this sample (start them with `eval \"$(bash eng/services.sh start)\"`).";
        MissingPeer.SkipOrFail(reason);
        return null!; // not reached: SkipOrFail throws
    }

    /// <summary>The repository the tests were built from.</summary>
    internal static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>The configuration the solution was built in (the tests' own).</summary>
    internal static string Configuration => Metadata("Configuration");

    private static string Metadata(string key) =>
        typeof(SampleRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
