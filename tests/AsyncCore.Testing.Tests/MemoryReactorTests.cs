using System.Net;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Transports;

namespace AsyncCore.Testing.Tests;

public class MemoryReactorTests
{
    [Fact]
    public void ListenTcp_IsRecordedWithItsFactory_AndConnectRunsTheServerProtocol()
    {
        var reactor = new MemoryReactor();
        var factory = Factory.ForProtocol(() => new Echo());
        INetworkReactor network = reactor;
        var port = network.ListenTcp(8080, factory, backlog: 7, interfaceAddress: "127.0.0.1");

        var recorded = Assert.Single(reactor.TcpServers);
        Assert.Same(port, recorded);
        Assert.Same(factory, recorded.Factory);
        Assert.Equal((8080, 7, "127.0.0.1"), (recorded.Port, recorded.Backlog, recorded.InterfaceAddress));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), port.GetHost());

        var transport = new StringTransport();
        var protocol = recorded.Connect(transport);
        protocol.DataReceived("ping"u8);
        Assert.Equal("ping"u8.ToArray(), transport.Value());
        Assert.Single(reactor.GetOpenConnections());
        transport.LoseConnection();
        Assert.Empty(reactor.GetOpenConnections());
    }

    [Fact]
    public void StopListening_FiresAtOnce_AndTheAttemptToConnectFails()
    {
        var reactor = new MemoryReactor();
        var port = (MemoryPort)reactor.ListenTcp(0, Factory.ForProtocol(() => new Echo()));
        Assert.Equal(MemoryReactor.AssignedPort, ((IPEndPoint)port.GetHost()).Port);
        Assert.Single(reactor.GetListeningPorts());
        DeferredAssert.SuccessResultOf(port.StopListening());
        Assert.Empty(reactor.GetListeningPorts());
        Assert.Throws<InvalidOperationException>(() => port.Connect());
    }

    [Fact]
    public void ConnectTcp_IsRecorded_StartsConnecting_AndAcceptMakesTheConnection()
    {
        var reactor = new MemoryReactor();
        var factory = new RecordingClientFactory();
        var connector = reactor.ConnectTcp("example.org", 443, factory, TimeSpan.FromSeconds(3));

        var recorded = Assert.Single(reactor.TcpClients);
        Assert.Same(connector, recorded);
        Assert.Equal(("example.org", 443, TimeSpan.FromSeconds(3)), (recorded.Host, recorded.Port, recorded.Timeout));
        Assert.Equal(new DnsEndPoint("example.org", 443), connector.GetDestination());
        Assert.Equal(["started"], factory.Events);

        var client = (Recorder)recorded.Accept();
        Assert.Equal(MemoryConnectorState.Connected, recorded.State);
        Assert.Equal(["made"], client.Events);
        Assert.Equal("hello"u8.ToArray(), recorded.Transport!.Value());
        Assert.Equal(new DnsEndPoint("example.org", 443), recorded.Transport.GetPeer());

        recorded.Lose(new ConnectionLostException());
        Assert.Equal(["made", "lost:ConnectionLostException"], client.Events);
        Assert.Equal(["started", "lost:ConnectionLostException"], factory.Events);
        Assert.Empty(reactor.GetOpenConnections());
    }

    [Fact]
    public void Fail_TellsTheFactory_AndConnectTriesAgain()
    {
        var reactor = new MemoryReactor();
        var factory = new RecordingClientFactory();
        var connector = (MemoryConnector)reactor.ConnectTcp("10.1.2.3", 25, factory);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 25), connector.GetDestination());
        connector.Fail(new ConnectionRefusedException());
        Assert.Equal(["started", "failed:ConnectionRefusedException"], factory.Events);
        connector.Connect();
        Assert.Equal(2, connector.Attempts);
        connector.StopConnecting();
        Assert.Equal(["started", "failed:ConnectionRefusedException", "started", "failed:ConnectingCancelledException"], factory.Events);
        Assert.Throws<NotConnectingException>(connector.StopConnecting);
    }

    [Fact]
    public void EveryKindOfCall_IsRecordedInItsOwnList()
    {
        var reactor = new MemoryReactor();
        var factory = Factory.ForProtocol(() => new Echo());
        var client = new RecordingClientFactory();
        reactor.ListenUnix("/tmp/memory.sock", factory, mode: 384, wantPid: true);
        reactor.ConnectUnix("/tmp/memory.sock", client);
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var certificate = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        reactor.ListenSsl(443, factory, new TlsServerOptions(certificate));
        reactor.ConnectSsl("localhost", 443, client, TlsClientOptions.ForHostname("localhost"));
        reactor.ListenUdp(53, new NullDatagram(), maxPacketSize: 512);

        Assert.Equal(("/tmp/memory.sock", 384, true), (reactor.UnixServers[0].Path, reactor.UnixServers[0].Mode, reactor.UnixServers[0].WantPid));
        Assert.Equal("/tmp/memory.sock", reactor.UnixClients[0].Path);
        Assert.NotNull(reactor.SslServers[0].TlsOptions);
        Assert.NotNull(reactor.SslClients[0].TlsOptions);
        Assert.Equal(512, reactor.UdpPorts[0].MaxPacketSize);
        Assert.Equal(2, reactor.AllConnectors.Count);
        Assert.Empty(reactor.TcpServers);
    }

    [Fact]
    public void Run_FiresStartupTriggersAndWhenRunningCalls_StopFiresShutdown()
    {
        var reactor = new MemoryReactor();
        var events = new List<string>();
        reactor.CallWhenRunning(() => events.Add("running"));
        reactor.AddSystemEventTrigger(SystemEventPhase.After, SystemEvents.Startup, () => events.Add("after-startup"));
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Startup, () => events.Add("before-startup"));
        var removed = reactor.AddSystemEventTrigger(SystemEventPhase.During, SystemEvents.Shutdown, () => events.Add("removed"));
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => events.Add("shutdown"));
        reactor.RemoveSystemEventTrigger(removed);

        reactor.Run();
        Assert.True(reactor.Running);
        Assert.Equal(["before-startup", "after-startup", "running"], events);
        reactor.Stop();
        Assert.False(reactor.Running);
        Assert.True(reactor.HasStopped);
        Assert.Equal(["before-startup", "after-startup", "running", "shutdown"], events);
        Assert.Throws<ReactorNotRunningException>(reactor.Stop);
    }

    [Fact]
    public void MemoryReactorClock_AdvanceRunsThreadCallsThenDueDelayedCalls()
    {
        var reactor = new MemoryReactorClock();
        var events = new List<string>();
        reactor.CallLater(TimeSpan.FromSeconds(2), () => events.Add("timer"));
        reactor.CallFromThread(() => events.Add("from-thread"));
        reactor.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["from-thread"], events);
        reactor.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["from-thread", "timer"], events);
        Assert.Equal(TimeSpan.FromSeconds(2), reactor.Now);
        Assert.Empty(reactor.GetDelayedCalls());
    }

    [Fact]
    public void DeferLater_WorksOnTheMemoryReactor_ThroughTheInterfaceHelpers()
    {
        var reactor = new MemoryReactorClock();
        IReactorTime time = reactor;
        var d = time.DeferLater(TimeSpan.FromSeconds(5), () => "done");
        DeferredAssert.AssertNoResult(d);
        reactor.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("done", DeferredAssert.SuccessResultOf(d));
    }

    [Fact]
    public void CallInThread_RunsAtOnce_AndIsReactorThreadIsTheCreatingThread()
    {
        var reactor = new MemoryReactor();
        var ran = false;
        reactor.CallInThread(() => ran = true);
        Assert.True(ran);
        Assert.True(reactor.IsReactorThread);
        // A dedicated thread: a Task.Run item may run on this very pool thread once the test awaits.
        var elsewhere = true;
        var other = new Thread(() => elsewhere = reactor.IsReactorThread);
        other.Start();
        other.Join();
        Assert.False(elsewhere);
        reactor.SuggestThreadPoolSize(3);
        Assert.Equal(3, reactor.SuggestedThreadPoolSize);
    }

    private sealed class NullDatagram : DatagramProtocol
    {
        public override void DatagramReceived(ReadOnlySpan<byte> data, EndPoint from)
        {
        }
    }
}
