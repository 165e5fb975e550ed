using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AsyncCore.Tests.Shared;

namespace AsyncCore.Mail.Tests;

/// <summary>
/// A real SMTP peer run as a child process (swaks, aiosmtpd): started and read on worker threads, never on the
/// reactor; killed (by its own id) when disposed.
/// </summary>
internal sealed class PeerProcess : IDisposable
{
    public const string Python = "/usr/bin/python3";

    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly SemaphoreSlim _lines = new(0);

    private PeerProcess(Process process) => _process = process;

    /// <summary>Every stdout and stderr line so far (for assertions and failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Skips (outside CI) or fails (under CI) when <paramref name="path"/> is not installed.</summary>
    public static void Require(string path, string package)
    {
        if (!File.Exists(path))
        {
            MissingPeer.SkipOrFail($"{path} is missing (Debian package {package}; eng/services.sh installs it).");
        }
    }

    /// <summary>Skips (outside CI) or fails (under CI) when Debian's python3 cannot import aiosmtpd.</summary>
    public static void RequireAiosmtpd()
    {
        Require(Python, "python3");
        using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import aiosmtpd"]) { RedirectStandardError = true })!;
        probe.WaitForExit();
        if (probe.ExitCode != 0)
        {
            MissingPeer.SkipOrFail("python3-aiosmtpd is not installed (eng/services.sh installs it).");
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static PeerProcess Start(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var peer = new PeerProcess(new Process { StartInfo = info });
        peer._process.OutputDataReceived += (_, e) => peer.Add(e.Data);
        peer._process.ErrorDataReceived += (_, e) => peer.Add(e.Data);
        peer._process.Start();
        peer._process.BeginOutputReadLine();
        peer._process.BeginErrorReadLine();
        return peer;
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Add(line);
        }
        _lines.Release();
    }

    /// <summary>Waits (on a worker thread) for the process to exit; its exit code.</summary>
    public async Task<int> ExitCode()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        // WaitForExitAsync also waits for the redirected streams to reach their end.
        return _process.ExitCode;
    }

    /// <summary>Waits for the first output line that starts with <paramref name="prefix"/>; that line.</summary>
    public async Task<string> Line(string prefix)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            lock (_output)
            {
                foreach (var line in _output)
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
            if (_process.HasExited && !await _lines.WaitAsync(TimeSpan.FromSeconds(1), limit.Token).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"The peer exited ({_process.ExitCode}) without printing '{prefix}':\n{Output}");
            }
            await _lines.WaitAsync(limit.Token).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        _lines.Dispose();
    }
}
