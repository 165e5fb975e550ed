using System.Net;
using System.Net.Sockets;
using AsyncCore.Application;
using AsyncCore.Endpoints;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tasks;
using AsyncCore.Tests.Reactor;
using AsyncCore.Tests.Transports;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Application;

/// <summary>A service tree run by a real reactor: started before startup, stopped (and waited for) before shutdown.</summary>
public class ServiceRunnerTests
{
    private sealed class Recorder(string name, List<string> journal) : Service(name)
    {
        public Func<Deferred?>? OnStop { get; set; }

        public Exception? StartThrows { get; set; }

        public override void StartService()
        {
            journal.Add("start " + Name);
            if (StartThrows is { } e)
            {
                throw e;
            }
            base.StartService();
        }

        public override Deferred? StopService()
        {
            journal.Add("stop " + Name);
            _ = base.StopService();
            return OnStop?.Invoke();
        }
    }

    [Fact]
    public void ReactorStop_StopsTheTree_AndWaitsForItsDeferreds()
    {
        using var reactor = ReactorTestSupport.Create(out _);
        var journal = new List<string>();
        var root = new ApplicationService("app");
        var slow = new Recorder("slow", journal);
        slow.OnStop = () => reactor.DeferLater(TimeSpan.FromMilliseconds(50), () => { journal.Add("slow stopped"); return 0; });
        slow.SetServiceParent(root);
        new Recorder("fast", journal).SetServiceParent(root);
        var runner = root.AttachTo(reactor);
        reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, () => journal.Add("during shutdown"));
        reactor.CallWhenRunning(() =>
        {
            journal.Add("running " + root.Running);
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.Equal(["start slow", "start fast", "running True", "stop fast", "stop slow", "slow stopped", "during shutdown"], journal);
        Assert.Null(runner.StartFailure);
        Assert.Null(runner.StopFailure);
        Assert.False(root.Running);
    }

    [Fact]
    public void StartFailure_IsKept_AndStopsTheReactor()
    {
        using var reactor = ReactorTestSupport.Create(out var logs);
        var journal = new List<string>();
        var root = new ApplicationService();
        new Recorder("a", journal).SetServiceParent(root);
        new Recorder("b", journal) { StartThrows = new InvalidOperationException("boom") }.SetServiceParent(root);
        var runner = root.AttachTo(reactor);
        var started = runner.WhenStarted();
        reactor.RunWithSafetyNet();
        Assert.IsType<InvalidOperationException>(runner.StartFailure!.Value);
        Assert.IsType<InvalidOperationException>(started.ConsumeFailure()!.Value);
        Assert.Equal(["start a", "start b", "stop b", "stop a"], journal);
    }

    [Fact]
    public void StopFailure_IsKept_AndShutdownGoesOn()
    {
        using var reactor = ReactorTestSupport.Create(out _);
        var root = new MultiService();
        new Recorder("bad", []) { OnStop = () => Deferred.Fail<object?>(new TimeoutException()) }.SetServiceParent(root);
        var runner = root.AttachTo(reactor);
        var stopped = runner.WhenStopped();
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        var error = Assert.IsType<ServiceStopException>(runner.StopFailure!.Value);
        Assert.IsType<TimeoutException>(Assert.Single(error.InnerExceptions));
        Assert.IsType<ServiceStopException>(stopped.ConsumeFailure()!.Value);
    }

    [Fact]
    public void AttachTo_ARunningReactor_StartsAtOnce()
    {
        using var reactor = ReactorTestSupport.Create(out _);
        var service = new Service();
        ServiceRunner? runner = null;
        reactor.CallWhenRunning(() =>
        {
            runner = service.AttachTo(reactor);
            Assert.True(service.Running);
            reactor.Stop();
        });
        reactor.RunWithSafetyNet();
        Assert.False(service.Running);
        Assert.True(runner!.WhenStopped().HasResult);
    }

    [Fact]
    public void Detach_LeavesTheTreeAlone()
    {
        using var reactor = ReactorTestSupport.Create(out _);
        var service = new Service();
        service.AttachTo(reactor).Detach();
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.False(service.Running);
    }

    [Fact]
    public void ApplicationService_PrivilegedStartRunsBeforeStart()
    {
        using var reactor = ReactorTestSupport.Create(out _);
        var journal = new List<string>();
        var root = new ApplicationService();
        new Ordered(journal).SetServiceParent(root);
        root.AttachTo(reactor);
        reactor.CallWhenRunning(reactor.Stop);
        reactor.RunWithSafetyNet();
        Assert.Equal(["privileged", "start", "stop"], journal);
    }

    private sealed class Ordered(List<string> journal) : Service
    {
        public override void PrivilegedStartService() => journal.Add("privileged");

        public override void StartService()
        {
            journal.Add("start");
            base.StartService();
        }

        public override Deferred? StopService()
        {
            journal.Add("stop");
            return base.StopService();
        }
    }

    [Fact]
    public void ClientServiceAdapter_StartsAndStopsTheClient()
    {
        var clock = new Clock();
        var attempts = 0;
        var client = new ClientService(new CountingEndpoint(() => attempts++), new Factory(() => new EchoProtocol()), clock);
        var root = new MultiService();
        var adapter = client.AsService("client");
        adapter.SetServiceParent(root);
        root.StartService();
        Assert.True(client.Running);
        Assert.Equal(1, attempts);
        Assert.True(root.StopService().HasResult);
        Assert.False(client.Running);
        Assert.Same(adapter, root.GetServiceNamed("client"));
    }

    private sealed class CountingEndpoint(Action onConnect) : IStreamClientEndpoint
    {
        public Deferred<IProtocol> Connect(Factory factory)
        {
            onConnect();
            return new Deferred<IProtocol>();
        }
    }
}

/// <summary>StreamServerEndpointService and Strports on real TCP, on the default reactor.</summary>
public class StrportsTcpTests
{
    /// <summary>The reactor kind: overridden for epoll.</summary>
    protected virtual bool Epoll => false;

    private readonly LogCapture _logs = new();

    private NetworkReactorBase MakeReactor()
    {
        var options = new ReactorOptions { StallThreshold = Timeout.InfiniteTimeSpan, LoggerFactory = _logs };
        return Epoll && OperatingSystem.IsLinux() ? new EpollReactor(options) : new EventLoopReactor(options);
    }

    [Fact]
    public async Task Service_ServesTcp_UntilTheReactorStops()
    {
        var reactor = MakeReactor();
        var root = new ApplicationService("echo");
        var service = Strports.Service("tcp:0:interface=127.0.0.1", new ServerFactory(() => new EchoProtocol()), reactor);
        service.SetServiceParent(root);
        var runner = root.AttachTo(reactor);
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        reactor.CallWhenRunning(() => service.WhenListening().AddCallback(p => port.SetResult(((IPEndPoint)p.GetHost()).Port)));
        var thread = new Thread(reactor.Run) { IsBackground = true };
        thread.Start();
        try
        {
            var number = await port.Task.WaitAsync(ReactorTestSupport.Patience, TestContext.Current.CancellationToken);
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Loopback, number, TestContext.Current.CancellationToken);
                var stream = client.GetStream();
                await stream.WriteAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
                var buffer = new byte[5];
                await stream.ReadExactlyAsync(buffer, TestContext.Current.CancellationToken);
                Assert.Equal("hello"u8.ToArray(), buffer);
            }
            reactor.CallFromThread(reactor.Stop);
            Assert.True(thread.Join(ReactorTestSupport.Patience));
            Assert.Null(runner.StartFailure);
            Assert.False(service.Running);
            using var refused = new TcpClient();
            await Assert.ThrowsAnyAsync<SocketException>(() => refused.ConnectAsync(IPAddress.Loopback, number, TestContext.Current.CancellationToken).AsTask());
        }
        finally
        {
            reactor.CallFromThread(() => reactor.StopIfRunning());
            thread.Join(ReactorTestSupport.Patience);
            (reactor as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void ListenFailure_FailsTheStartLoudly_AndTheReactorStops()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var number = ((IPEndPoint)taken.LocalEndpoint).Port;
        var reactor = MakeReactor();
        try
        {
            var root = new ApplicationService();
            Strports.Service($"tcp:{number}:interface=127.0.0.1", new ServerFactory(() => new EchoProtocol()), reactor).SetServiceParent(root);
            var runner = root.AttachTo(reactor);
            reactor.CallLater(ReactorTestSupport.Patience, reactor.Stop);
            reactor.Run();
            Assert.IsType<CannotListenException>(runner.StartFailure?.Value);
            Assert.Contains(_logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Critical && e.Exception is CannotListenException);
        }
        finally
        {
            (reactor as IDisposable)?.Dispose();
        }
    }
}

/// <summary>The same on the epoll reactor.</summary>
public sealed class StrportsTcpEpollTests : StrportsTcpTests
{
    /// <inheritdoc />
    protected override bool Epoll => true;
}
