using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AsyncCore.Runner.Tests;

/// <summary>
/// <c>asynccore run</c> as a real child process: the sample served on both ports and stopped by a signal, pid files,
/// failing applications. Waits are generous and only for liveness; nothing asserts timings.
/// </summary>
public class RunnerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("asynccore-runner-").FullName;

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<TcpClient> ConnectWhenListening(int port)
    {
        var deadline = DateTime.UtcNow + RunnerProcess.Patience;
        while (true)
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
                return client;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                client.Dispose();
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
    }

    private static async Task<string> Exchange(TcpClient client, string send, int expectedBytes)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(send), TestContext.Current.CancellationToken);
        var buffer = new byte[expectedBytes];
        await stream.ReadExactlyAsync(buffer, TestContext.Current.CancellationToken);
        return Encoding.UTF8.GetString(buffer);
    }

    [Theory]
    [InlineData("default", RunnerProcess.SigTerm)]
    [InlineData("epoll", RunnerProcess.SigTerm)]
    [InlineData("eventloop", RunnerProcess.SigTerm)]
    [InlineData("default", RunnerProcess.SigInt)]
    public async Task Sample_ServesBothPorts_AndASignalStopsItCleanly(string reactor, int signal)
    {
        if (signal == RunnerProcess.SigInt && RunnerProcess.SigIntIgnoredHere())
        {
            // The runner, like twistd and the .NET runtime, leaves an inherited ignored SIGINT ignored (nohup's intent).
            Assert.Skip("SIGINT is ignored in this test process (started in the background by a non-interactive shell), so the runner inherits it ignored");
        }
        var echoPort = FreePort();
        var linePort = FreePort();
        var pidFile = Path.Combine(_directory, "app.pid");
        using var runner = RunnerProcess.Start("run", "--app", RunnerProcess.SampleDll, "--reactor", reactor, "--pidfile", pidFile,
            "--", "--echo-port", echoPort.ToString(CultureInfo.InvariantCulture), "--line-port", linePort.ToString(CultureInfo.InvariantCulture));

        using (var echo = await ConnectWhenListening(echoPort))
        {
            Assert.Equal("hello", await Exchange(echo, "hello", 5));
        }
        using (var lines = await ConnectWhenListening(linePort))
        {
            Assert.Equal("HELLO\r\nbye\r\n", await Exchange(lines, "hello\r\nquit\r\n", 12));
        }
        Assert.Equal(runner.Id.ToString(CultureInfo.InvariantCulture), File.ReadAllText(pidFile).Trim());

        runner.Signal(signal);
        Assert.Equal(0, await runner.WaitForExit());
        Assert.False(File.Exists(pidFile));
        Assert.Contains("Stopped", runner.Stdout, StringComparison.Ordinal);
        // The runner logs the reactor it runs: by default the platform's fastest (ReactorFactory).
        var expected = reactor == "eventloop" || !OperatingSystem.IsLinux() ? "EventLoopReactor" : "EpollReactor";
        Assert.Contains($"on {expected} (pid", runner.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LivePidFile_RefusesToStart()
    {
        var pidFile = Path.Combine(_directory, "live.pid");
        var live = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(pidFile, live, TestContext.Current.CancellationToken);
        using var runner = RunnerProcess.Start("run", "--app", RunnerProcess.SampleDll, "--pidfile", pidFile, "--", "--echo-port", "0", "--line-port", "0");
        Assert.Equal(1, await runner.WaitForExit());
        Assert.Contains(runner.StderrLines, l => l.Contains("running process", StringComparison.Ordinal));
        Assert.Equal(live, (await File.ReadAllTextAsync(pidFile, TestContext.Current.CancellationToken)).Trim());
    }

    [Fact]
    public async Task FailingStart_PrintsTheFailure_ExitsNonZero_AndReplacedAStalePidFile()
    {
        var pidFile = Path.Combine(_directory, "stale.pid");
        int dead;
        using (var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            await exited.WaitForExitAsync(TestContext.Current.CancellationToken);
            dead = exited.Id;
        }
        await File.WriteAllTextAsync(pidFile, dead.ToString(CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);
        using var runner = RunnerProcess.Start("run", "--app", RunnerProcess.TestsDll + ":" + typeof(FailingStartFactory).FullName, "--pidfile", pidFile);
        Assert.Equal(1, await runner.WaitForExit());
        Assert.Contains(runner.StderrLines, l => l.Contains("failed to start", StringComparison.Ordinal) && l.Contains("cannot start the service", StringComparison.Ordinal));
        Assert.Contains("stale pid file", runner.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(pidFile));
    }

    [Fact]
    public async Task SecondSignal_ForcesExitOne()
    {
        var pidFile = Path.Combine(_directory, "hang.pid");
        using var runner = RunnerProcess.Start("run", "--app", RunnerProcess.TestsDll + ":" + typeof(HangingStopFactory).FullName, "--pidfile", pidFile);
        await runner.WaitForOutput("Running");
        runner.Signal(RunnerProcess.SigTerm);
        await runner.WaitForOutput("stopping");
        runner.Signal(RunnerProcess.SigTerm);
        Assert.Equal(1, await runner.WaitForExit());
        Assert.False(File.Exists(pidFile));
    }

    [Fact]
    public async Task MissingAssembly_OneLineError_ExitTwo() =>
        await AssertBadApp(Path.Combine(_directory, "nowhere.dll"), "application assembly not found");

    [Fact]
    public async Task MissingType_OneLineError_ExitTwo() =>
        await AssertBadApp(RunnerProcess.SampleDll + ":MultiService.NoSuchType", "type not found");

    [Fact]
    public async Task TypeThatThrows_OneLineError_ExitTwo() =>
        await AssertBadApp(RunnerProcess.TestsDll + ":" + typeof(ThrowingFactory).FullName, "the factory is broken");

    private static async Task AssertBadApp(string app, string expected)
    {
        using var runner = RunnerProcess.Start("run", "--app", app);
        Assert.Equal(2, await runner.WaitForExit());
        var error = Assert.Single(runner.StderrLines);
        Assert.StartsWith("asynccore: error: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
