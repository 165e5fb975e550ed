using System.Net;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tasks;

namespace AsyncCore.Tests.Protocols;

/// <summary>IdleTimeout (Twisted's TimeoutMixinTests), WrappingFactory, ThrottlingFactory and ReconnectingClientFactory.</summary>
public class PolicyTests
{
    private sealed class Recorder : Protocol
    {
        public List<string> Events { get; } = [];

        public override void ConnectionMade() => Events.Add("made");

        public override void DataReceived(ReadOnlySpan<byte> data) => Events.Add("data " + System.Text.Encoding.ASCII.GetString(data));

        public override void ConnectionLost(Failure reason)
        {
            Events.Add("lost " + reason.Type.Name);
            base.ConnectionLost(reason);
        }
    }

    [Fact]
    public void IdleTimeout_NoActivity_FiresAfterThePeriod()
    {
        var clock = new Clock();
        var fired = 0;
        var timeout = new IdleTimeout(clock, () => fired++);
        timeout.SetTimeout(TimeSpan.FromSeconds(3));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, fired);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, fired);
        Assert.False(timeout.Pending);
    }

    [Fact]
    public void IdleTimeout_ResetTimeout_PostponesIt()
    {
        var clock = new Clock();
        var fired = 0;
        var timeout = new IdleTimeout(clock, () => fired++);
        timeout.SetTimeout(TimeSpan.FromSeconds(3));
        clock.Advance(TimeSpan.FromSeconds(2));
        timeout.ResetTimeout();
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, fired);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void IdleTimeout_SetTimeoutNull_CancelsAndReturnsThePrevious()
    {
        var clock = new Clock();
        var fired = 0;
        var timeout = new IdleTimeout(clock, () => fired++);
        Assert.Null(timeout.SetTimeout(TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromSeconds(3), timeout.SetTimeout(null));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, fired);
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void IdleTimeout_SetTimeoutAfterItFired_StartsANewCountdown()
    {
        var clock = new Clock();
        var fired = 0;
        var timeout = new IdleTimeout(clock, () => fired++);
        timeout.SetTimeout(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        timeout.SetTimeout(TimeSpan.FromSeconds(2));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, fired);
    }

    [Fact]
    public void IdleTimeout_SetTimeoutNullTwice_IsHarmless()
    {
        var timeout = new IdleTimeout(new Clock(), () => { });
        timeout.SetTimeout(TimeSpan.FromSeconds(1));
        timeout.SetTimeout(null);
        Assert.Null(timeout.SetTimeout(null));
    }

    [Fact]
    public void WrappingFactory_WrapsProtocolsAndTracksThem()
    {
        var inner = new Recorder();
        var wrapping = new WrappingFactory(new Factory(() => inner));
        var wrapper = (ProtocolWrapper)wrapping.BuildProtocol(null)!;
        var pump = Loopback.Connect(wrapper, new Recorder());
        Assert.Single(wrapping.Protocols);
        Assert.Same(wrapper, inner.Transport);
        pump.ClientTransport.Write("hi"u8);
        pump.Flush();
        inner.Transport.LoseConnection();
        pump.Flush();
        Assert.Equal(["made", "data hi", "lost ConnectionDoneException"], inner.Events);
        Assert.Empty(wrapping.Protocols);
    }

    [Fact]
    public void WrappingFactory_StartAndStop_ForwardToTheWrappedFactory()
    {
        var wrapped = new Factory(() => new Recorder());
        var wrapping = new WrappingFactory(wrapped);
        wrapping.DoStart();
        Assert.Equal(1, wrapped.NumPorts);
        wrapping.DoStop();
        Assert.Equal(0, wrapped.NumPorts);
    }

    [Fact]
    public void Factory_DoStartDoStop_AreReferenceCounted()
    {
        var factory = new CountingFactory();
        factory.DoStart();
        factory.DoStart();
        factory.DoStop();
        Assert.Equal((1, 0), (factory.Starts, factory.Stops));
        factory.DoStop();
        factory.DoStop();
        Assert.Equal((1, 1), (factory.Starts, factory.Stops));
    }

    private sealed class CountingFactory : Factory
    {
        public int Starts { get; private set; }

        public int Stops { get; private set; }

        protected override void StartFactory() => Starts++;

        protected override void StopFactory() => Stops++;
    }

    [Fact]
    public void Factory_BuildProtocol_SetsTheProtocolsFactory()
    {
        var factory = Factory.ForProtocol(() => new Recorder());
        var protocol = (Recorder)factory.BuildProtocol(new IPEndPoint(IPAddress.Loopback, 1))!;
        Assert.Same(factory, protocol.Factory);
    }

    [Fact]
    public void ThrottlingFactory_BeyondMaxConnections_RefusesConnections()
    {
        var factory = new ThrottlingFactory(new Factory(() => new Recorder()), new Clock(), maxConnectionCount: 2);
        var first = factory.BuildProtocol(null)!;
        Loopback.Connect(first, new Recorder());
        var second = factory.BuildProtocol(null)!;
        var pump = Loopback.Connect(second, new Recorder());
        Assert.Null(factory.BuildProtocol(null));
        pump.ServerTransport.LoseConnection();
        pump.Flush();
        Assert.NotNull(factory.BuildProtocol(null));
    }

    [Fact]
    public void ThrottlingFactory_ReadLimitExceeded_PausesReadingForTheExcessTime()
    {
        var clock = new Clock();
        var factory = new ThrottlingFactory(new Factory(() => new Recorder()), clock, readLimit: 10);
        var server = factory.BuildProtocol(null)!;
        var pump = Loopback.Connect(server, new Recorder());
        pump.ClientTransport.Write(new byte[30]);
        pump.Flush();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(pump.ServerTransport.ReadPaused);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(pump.ServerTransport.ReadPaused);
    }

    private sealed class FakeConnector(ClientFactory factory) : IConnector
    {
        public int Connects { get; private set; }

        public int StopConnectingCalls { get; private set; }

        public ClientFactory Factory => factory;

        public void Connect() => Connects++;

        public void Disconnect()
        {
        }

        public void StopConnecting()
        {
            StopConnectingCalls++;
            throw new NotConnectingException();
        }

        public EndPoint GetDestination() => new IPEndPoint(IPAddress.Loopback, 1);
    }

    [Fact]
    public void ReconnectingClientFactory_Failure_RetriesAfterAboutEulersNumberOfSeconds()
    {
        var clock = new Clock();
        var factory = new ReconnectingClientFactory(clock) { Jitter = 0 };
        var connector = new FakeConnector(factory);
        factory.ClientConnectionFailed(connector, new Failure(new ConnectionRefusedException()));
        Assert.Equal(Math.E, clock.GetDelayedCalls()[0].DueTime.TotalSeconds, 6);
        clock.Advance(TimeSpan.FromSeconds(Math.E));
        Assert.Equal(1, connector.Connects);
        factory.ClientConnectionLost(connector, new Failure(new ConnectionLostException()));
        Assert.Equal(Math.E * Math.E, factory.Delay.TotalSeconds, 6);
    }

    [Fact]
    public void ReconnectingClientFactory_DelayIsCappedAtMaxDelay()
    {
        var clock = new Clock();
        var factory = new ReconnectingClientFactory(clock) { Jitter = 0, MaxDelay = TimeSpan.FromSeconds(10) };
        var connector = new FakeConnector(factory);
        for (var i = 0; i < 5; i++)
        {
            factory.ClientConnectionFailed(connector, new Failure(new ConnectionRefusedException()));
            clock.Advance(TimeSpan.FromSeconds(100));
        }
        Assert.Equal(TimeSpan.FromSeconds(10), factory.Delay);
        Assert.Equal(5, connector.Connects);
    }

    [Fact]
    public void ReconnectingClientFactory_MaxRetries_GivesUp()
    {
        var clock = new Clock();
        var factory = new ReconnectingClientFactory(clock) { MaxRetries = 2 };
        var connector = new FakeConnector(factory);
        for (var i = 0; i < 4; i++)
        {
            factory.ClientConnectionFailed(connector, new Failure(new ConnectionRefusedException()));
            clock.Advance(TimeSpan.FromSeconds(10_000));
        }
        Assert.Equal(2, connector.Connects);
    }

    [Fact]
    public void ReconnectingClientFactory_StopTrying_CancelsThePendingRetry()
    {
        var clock = new Clock();
        var factory = new ReconnectingClientFactory(clock);
        var connector = new FakeConnector(factory);
        factory.ClientConnectionFailed(connector, new Failure(new ConnectionRefusedException()));
        factory.StopTrying();
        clock.Advance(TimeSpan.FromSeconds(10_000));
        Assert.Equal(0, connector.Connects);
        Assert.Equal(1, connector.StopConnectingCalls);
        factory.ClientConnectionLost(connector, new Failure(new ConnectionLostException()));
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void ReconnectingClientFactory_ResetDelay_StartsOverFromTheInitialDelay()
    {
        var clock = new Clock();
        var factory = new ReconnectingClientFactory(clock) { Jitter = 0 };
        var connector = new FakeConnector(factory);
        factory.ClientConnectionFailed(connector, new Failure(new ConnectionRefusedException()));
        factory.ResetDelay();
        Assert.Equal(TimeSpan.FromSeconds(1), factory.Delay);
        Assert.Equal(0, factory.Retries);
    }

    [Fact]
    public void ReconnectingClientFactory_Jitter_StaysNearTheDelay()
    {
        var clock = new Clock();
        var factory = new ReconnectingClientFactory(clock) { Random = new Random(42) };
        var connector = new FakeConnector(factory);
        factory.ClientConnectionFailed(connector, new Failure(new ConnectionRefusedException()));
        Assert.InRange(factory.Delay.TotalSeconds, Math.E * 0.5, Math.E * 1.5);
    }
}
