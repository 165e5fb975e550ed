using System.Net;
using System.Net.Sockets;
using AsyncCore.Application;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Transports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Hosting.Tests;

/// <summary>The Generic Host runs the reactor and the service tree: start, real TCP, StopApplication.</summary>
public class HostingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private sealed class Echo : Protocol
    {
        public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
    }

    /// <summary>An echo server on a port the system picks, built by dependency injection.</summary>
    private sealed class EchoServer(INetworkReactor reactor)
        : StreamServerEndpointService(Endpoint.ServerFromString(reactor, "tcp:0:interface=127.0.0.1"), Factory.ForProtocol(() => new Echo()))
    {
        public int StopCalls { get; private set; }

        public bool StartedOnReactorThread { get; private set; }

        public override void StartService()
        {
            StartedOnReactorThread = ((ReactorBase)reactor).IsReactorThread;
            base.StartService();
        }

        public override Deferred<object?> StopService()
        {
            StopCalls++;
            return base.StopService();
        }
    }

    /// <summary>A service whose stop takes a while (a Deferred fired later by the reactor).</summary>
    private sealed class SlowStopper(IReactor reactor) : Service("slow")
    {
        public bool Stopped { get; private set; }

        public override Deferred? StopService()
        {
            _ = base.StopService();
            return reactor.DeferLater(TimeSpan.FromMilliseconds(100), () =>
            {
                Stopped = true;
                return 0;
            });
        }
    }

    private sealed class Failing : Service
    {
        public override void StartService() => throw new InvalidOperationException("cannot start");
    }

    private static Task<T> OnReactor<T>(IReactor reactor, Func<Deferred<T>> call)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        ((ReactorBase)reactor).CallFromThread(() => call().AddBoth(outcome =>
        {
            if (outcome.Succeeded)
            {
                result.SetResult(outcome.Value);
            }
            else
            {
                result.SetException(outcome.Failure.Value);
            }
            return 0;
        }));
        return result.Task.WaitAsync(Patience);
    }

    [Theory]
    [InlineData("Default")]
    [InlineData("Epoll")]
    [InlineData("EventLoop")]
    public async Task Host_StartsTheTree_ServesTcp_AndStopsItOnStopApplication(string kind)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AsyncCore:ReactorKind"] = kind,
            ["AsyncCore:Reactor:Name"] = "hosted reactor",
        });
        builder.Services.AddLogging();
        builder.Services.AddAsyncCore(o => o.ApplicationName = "echo-app");
        builder.Services.AddAsyncCoreService<EchoServer>();
        builder.Services.AddAsyncCoreService(provider => new SlowStopper(provider.GetRequiredService<IReactor>()));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        var reactor = host.Services.GetRequiredService<IReactor>();
        var root = host.Services.GetRequiredService<MultiService>();
        var echo = host.Services.GetRequiredService<EchoServer>();
        var slow = (SlowStopper)root.GetServiceNamed("slow");
        Assert.Equal("echo-app", root.Name);
        Assert.Equal("hosted reactor", ((ReactorBase)reactor).Name);
        // Default is the platform's fastest reactor (ReactorFactory), as Epoll asks explicitly; EventLoop is the portable one.
        Assert.Equal(kind != "EventLoop" && OperatingSystem.IsLinux() ? typeof(EpollReactor) : typeof(EventLoopReactor), reactor.GetType());
        Assert.Equal([echo, slow], root);
        Assert.True(root.Running);
        Assert.True(echo.StartedOnReactorThread);

        var listening = await OnReactor(reactor, echo.WhenListening);
        var port = ((IPEndPoint)listening.GetHost()).Port;
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync("ping"u8.ToArray(), TestContext.Current.CancellationToken);
            var buffer = new byte[4];
            await stream.ReadExactlyAsync(buffer, TestContext.Current.CancellationToken);
            Assert.Equal("ping"u8.ToArray(), buffer);
        }

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        await host.WaitForShutdownAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, echo.StopCalls);
        Assert.True(slow.Stopped);
        Assert.False(root.Running);
        Assert.False(reactor.Running);
        using var refused = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => refused.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task FailingStart_FailsTheHostStart()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogging();
        builder.Services.AddAsyncCore(o => o.Reactor.LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        builder.Services.AddAsyncCoreService<Failing>();
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Equal("cannot start", error.Message);
        Assert.False(host.Services.GetRequiredService<IReactor>().Running);
    }

    [Fact]
    public void Reactor_LogsThroughTheHostsLoggerFactory()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogging();
        builder.Services.AddAsyncCore();
        using var host = builder.Build();
        var runtime = host.Services.GetRequiredService<AsyncCoreRuntime>();
        Assert.Same(host.Services.GetRequiredService<ILoggerFactory>(), runtime.Options.Reactor.LoggerFactory);
    }

    [Fact]
    public void Configuration_BindsTheReactorOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AsyncCore:ReactorKind"] = "epoll",
            ["AsyncCore:ApplicationName"] = "configured",
            ["AsyncCore:Reactor:StallThreshold"] = "00:00:00.250",
            ["AsyncCore:Reactor:MinThreads"] = "2",
            ["AsyncCore:Reactor:MaxThreads"] = "4",
            ["AsyncCore:Reactor:DebugDeferreds"] = "true",
        }).Build();
        var options = new AsyncCoreOptions();
        AsyncCoreServiceCollectionExtensions.Bind(configuration.GetSection("AsyncCore"), options);
        Assert.Equal(ReactorKind.Epoll, options.ReactorKind);
        Assert.Equal("configured", options.ApplicationName);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Reactor.StallThreshold);
        Assert.Equal(2, options.Reactor.MinThreads);
        Assert.Equal(4, options.Reactor.MaxThreads);
        Assert.True(options.Reactor.DebugDeferreds);
    }
}
