using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AsyncCore.Redis.Tests;

/// <summary>
/// A redis-server of the test's own, on a free loopback port, that the test can stop and start again without touching
/// the shared server. Its methods block: call them on a worker thread.
/// </summary>
internal sealed class OwnRedisServer : IAsyncDisposable
{
    private Process? _process;

    private OwnRedisServer(int port, string? unixSocket)
    {
        Port = port;
        UnixSocket = unixSocket;
    }

    public int Port { get; }

    /// <summary>The path of its UNIX socket, when started with one (it listens on TCP too).</summary>
    public string? UnixSocket { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>Starts one; skips the test when redis-server is not installed.</summary>
    public static OwnRedisServer Start() => Start(unixSocket: false);

    /// <summary>Starts one listening on a UNIX socket as well when <paramref name="unixSocket"/> is true.</summary>
    public static OwnRedisServer Start(bool unixSocket)
    {
        var binary = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
        Assert.SkipWhen(binary is null, "redis-server is not installed: this test starts a server of its own.");
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var server = new OwnRedisServer(port, unixSocket ? Path.Combine(Path.GetTempPath(), $"asynccore-redis-{port}.sock") : null);
        server.Resume();
        return server;
    }

    /// <summary>Starts the server again on the same port (empty: nothing is persisted).</summary>
    public void Resume()
    {
        string[] arguments = ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
        if (UnixSocket is not null)
        {
            arguments = [.. arguments, "--unixsocket", UnixSocket, "--unixsocketperm", "700"];
        }
        var start = new ProcessStartInfo("redis-server", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                if (UnixSocket is not null)
                {
                    // Redis opens its UNIX socket after its TCP port.
                    using var local = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    local.Connect(new UnixDomainSocketEndPoint(UnixSocket));
                }
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Kills the server (every connection is cut at once) and waits until it is gone.</summary>
    public void Stop()
    {
        if (_process is { } process)
        {
            process.Kill();
            process.WaitForExit();
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Stops it on a thread-pool thread (stopping the process blocks): for <c>await using</c> on the reactor thread.</summary>
    public ValueTask DisposeAsync() => new(Task.Run(Stop));
}
