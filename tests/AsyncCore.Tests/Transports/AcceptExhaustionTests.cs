using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Tests.Transports;

/// <summary>
/// A listening port that runs out of file descriptors (EMFILE) logs it, backs off and keeps accepting, as Twisted's
/// <c>tcp.Port</c> does (issue 18), on a real exhausted descriptor table.
/// </summary>
/// <remarks>
/// The descriptor limit is per process, so exhausting it here would break the tests running alongside: each test runs
/// itself again in a child test host (this assembly, filtered to that one test, with <c>ASYNCCORE_FD_EXHAUSTION_CHILD</c>
/// set), and only the child lowers its soft <c>RLIMIT_NOFILE</c> and fills its descriptor table.
/// </remarks>
public sealed class AcceptExhaustionTests
{
    private const string ChildVariable = "ASYNCCORE_FD_EXHAUSTION_CHILD";
    private const int RlimitNofile = 7;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public Task OutOfFileDescriptors_EventLoopReactorPortKeepsAccepting() => RunInChild(nameof(OutOfFileDescriptors_EventLoopReactorPortKeepsAccepting), epoll: false);

    [Fact]
    public Task OutOfFileDescriptors_EpollReactorPortKeepsAccepting() => RunInChild(nameof(OutOfFileDescriptors_EpollReactorPortKeepsAccepting), epoll: true);

    private static async Task RunInChild(string method, bool epoll)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "The descriptor limit is set with setrlimit (Linux).");
        if (Environment.GetEnvironmentVariable(ChildVariable) == method)
        {
            await ExhaustAndRecover(epoll);
            return;
        }
        var assembly = typeof(AcceptExhaustionTests).Assembly.Location;
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.FileName = host;
            start.ArgumentList.Add(assembly);
        }
        else
        {
            // The test host's own apphost (AsyncCore.Tests): run it again.
            start.FileName = host;
        }
        foreach (var argument in (string[])["-method", $"{typeof(AcceptExhaustionTests).FullName}.{method}", "-noColor", "-noLogo"])
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment[ChildVariable] = method;
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await child.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(180), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            child.Kill(entireProcessTree: true);
            throw;
        }
        var text = await output + await error;
        Assert.True(child.ExitCode == 0, $"the child test host exited with {child.ExitCode}:\n{text}");
        // The filter matched the test, which ran and passed (not zero tests, not skipped).
        Assert.Contains("Total: 1, Errors: 0, Failed: 0, Skipped: 0", text, StringComparison.Ordinal);
    }

    /// <summary>The child's part: exhaust the descriptor table while a connection waits to be accepted, then free it.</summary>
    private static async Task ExhaustAndRecover(bool epoll)
    {
        var logs = new AcceptFailureLog();
        using var net = new RunningReactor(epoll, new ReactorOptions { LoggerFactory = logs });
        var accepted = 0;
        var port = await net.Run(() => net.Reactor.ListenTcp(0, new ServerFactory(() =>
        {
            Interlocked.Increment(ref accepted);
            return new EchoProtocol();
        }), interfaceAddress: "127.0.0.1"));
        var address = new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)port.GetHost()).Port);

        // Warm up every path the test takes while descriptors are short (no assembly may need loading then).
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)s_wait.TotalMilliseconds };
        first.Connect(address);
        Echo(first);
        SleepUntil(() => Volatile.Read(ref accepted) == 1, "the first connection");
        net.Reactor.Logger.LogWarning(new SocketException((int)SocketError.AccessDenied), "warm-up {Value}", 1);

        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)s_wait.TotalMilliseconds };
        var saved = GetLimit();
        var open = Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
        var filler = new List<int>(open + 128);
        var errno = 0;
        // While the table is full nothing here may need a descriptor or a new OS object: plain code, sleeps and
        // volatile reads only (no awaits, no lock contention, no timers).
        try
        {
            SetLimit(saved with { Current = Math.Min(saved.Maximum, (ulong)open + 64) });
            while (true)
            {
                var fd = Dup(0);
                if (fd < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    break;
                }
                filler.Add(fd);
            }
            if (errno == 24)
            {
                // The kernel completes the connection into the listen queue; accepting it needs a descriptor.
                second.Connect(address);
                SleepUntil(() => logs.Failure is not null, "the port to log the failed accept");
            }
        }
        finally
        {
            foreach (var fd in filler)
            {
                _ = Close(fd);
            }
            SetLimit(saved);
        }
        Assert.Equal(24, errno); // EMFILE

        SleepUntil(() => Volatile.Read(ref accepted) == 2, "the port to accept again once descriptors were free");
        Echo(second);
        Assert.Equal(LogLevel.Warning, logs.Failure!.Value.Level);
        Assert.Contains("retry", logs.Failure.Value.Message, StringComparison.Ordinal);
        await net.Call(port.StopListening);
    }

    private static void SleepUntil(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > s_wait)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }
            Thread.Sleep(10);
        }
    }

    /// <summary>Keeps the first accept failure for lack of descriptors, without locks (see <see cref="ExhaustAndRecover"/>).</summary>
    private sealed class AcceptFailureLog : ILoggerFactory, ILogger
    {
        private StrongBox<(LogLevel Level, string Message)>? _failure;

        public StrongBox<(LogLevel Level, string Message)>? Failure => Volatile.Read(ref _failure);

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets })
            {
                Interlocked.CompareExchange(ref _failure, new StrongBox<(LogLevel, string)>((logLevel, formatter(state, exception))), null);
            }
            else
            {
                _ = formatter(state, exception);
            }
        }

        public void Dispose()
        {
        }
    }

    private static void Echo(Socket socket)
    {
        socket.Send("ping"u8);
        var buffer = new byte[4];
        var got = 0;
        while (got < buffer.Length)
        {
            var n = socket.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            Assert.True(n > 0, "the server closed the connection");
            got += n;
        }
        Assert.Equal("ping"u8.ToArray(), buffer);
    }

    [StructLayout(LayoutKind.Sequential)]
    private record struct RLimit(ulong Current, ulong Maximum);

    private static RLimit GetLimit()
    {
        var limit = default(RLimit);
        Assert.Equal(0, GetRLimit(RlimitNofile, ref limit));
        return limit;
    }

    private static void SetLimit(RLimit limit) => Assert.Equal(0, SetRLimit(RlimitNofile, ref limit));

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, ref RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, ref RLimit limit);

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
