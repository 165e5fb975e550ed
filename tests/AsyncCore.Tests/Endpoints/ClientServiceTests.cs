using AsyncCore.Endpoints;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tasks;

namespace AsyncCore.Tests.Endpoints;

/// <summary>ClientService (Twisted's ClientServiceTests) on a scripted endpoint, the in-memory loopback and a Clock.</summary>
public class ClientServiceTests
{
    private sealed class Idle : Protocol;

    private sealed class ScriptedEndpoint : IStreamClientEndpoint
    {
        public List<(Factory Factory, Deferred<IProtocol> Deferred)> Attempts { get; } = [];

        public Deferred<IProtocol> Connect(Factory factory)
        {
            var d = new Deferred<IProtocol>();
            Attempts.Add((factory, d));
            return d;
        }

        public IOPump Succeed(int index)
        {
            var (factory, d) = Attempts[index];
            var protocol = factory.BuildProtocol(null)!;
            var pump = Loopback.Connect(new Idle(), protocol);
            pump.AutoFlush = true;
            d.Callback(protocol);
            return pump;
        }

        public void Fail(int index) => Attempts[index].Deferred.Errback(new ConnectionRefusedException());
    }

    private static (ClientService Service, ScriptedEndpoint Endpoint, Clock Clock, List<Idle> Built) Make(Func<IProtocol, Deferred<object?>?>? prepare = null)
    {
        var endpoint = new ScriptedEndpoint();
        var clock = new Clock();
        var built = new List<Idle>();
        var factory = new Factory(() =>
        {
            var p = new Idle();
            built.Add(p);
            return p;
        });
        var service = new ClientService(endpoint, factory, clock, attempt => TimeSpan.FromSeconds(attempt + 1), prepare);
        return (service, endpoint, clock, built);
    }

    [Fact]
    public void StartService_ConnectsAndWhenConnectedGivesTheProtocol()
    {
        var (service, endpoint, _, built) = Make();
        service.StartService();
        Assert.Single(endpoint.Attempts);
        var d = service.WhenConnected();
        Assert.False(d.Called);
        endpoint.Succeed(0);
        Assert.Same(built[0], d.Result);
        Assert.Same(built[0], service.WhenConnected().Result);
    }

    [Fact]
    public void FailedAttempt_RetriesAfterTheRetryPolicyDelay()
    {
        var (service, endpoint, clock, _) = Make();
        service.StartService();
        endpoint.Fail(0);
        clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Single(endpoint.Attempts);
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(2, endpoint.Attempts.Count);
        endpoint.Fail(1);
        clock.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Equal(2, endpoint.Attempts.Count);
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(3, endpoint.Attempts.Count);
    }

    [Fact]
    public void ConnectionLost_ReconnectsAndWhenConnectedWaitsForTheNextOne()
    {
        var (service, endpoint, clock, built) = Make();
        service.StartService();
        var pump = endpoint.Succeed(0);
        built[0].Transport.LoseConnection();
        pump.Flush();
        var next = service.WhenConnected();
        Assert.False(next.Called);
        clock.Advance(TimeSpan.FromSeconds(1));
        endpoint.Succeed(1);
        Assert.Same(built[1], next.Result);
    }

    [Fact]
    public void WhenConnected_FailAfterFailures_FailsWithTheLastError()
    {
        var (service, endpoint, clock, _) = Make();
        service.StartService();
        var d = service.WhenConnected(failAfterFailures: 2);
        endpoint.Fail(0);
        Assert.False(d.Called);
        clock.Advance(TimeSpan.FromSeconds(2));
        endpoint.Fail(1);
        Assert.IsType<ConnectionRefusedException>(d.ConsumeFailure()!.Value);
    }

    [Fact]
    public void StopService_WhileConnected_ClosesAndFiresOnceClosed()
    {
        var (service, endpoint, clock, built) = Make();
        service.StartService();
        endpoint.Succeed(0);
        var stopped = service.StopService();
        Assert.True(stopped.Called);
        Assert.False(built[0].Connected);
        clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Single(endpoint.Attempts);
    }

    [Fact]
    public void StopService_WhileRetrying_FailsPendingWhenConnectedWithCancelled()
    {
        var (service, endpoint, clock, _) = Make();
        service.StartService();
        var d = service.WhenConnected();
        endpoint.Fail(0);
        service.StopService();
        Assert.IsType<CancelledException>(d.ConsumeFailure()!.Value);
        clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Single(endpoint.Attempts);
    }

    [Fact]
    public void PrepareConnection_WhenConnectedWaitsForIt()
    {
        var preparing = new Deferred<object?>();
        var (service, endpoint, _, built) = Make(_ => preparing);
        service.StartService();
        var d = service.WhenConnected();
        endpoint.Succeed(0);
        Assert.False(d.Called);
        preparing.Callback(null);
        Assert.Same(built[0], d.Result);
    }

    [Fact]
    public void BackoffPolicy_GrowsThenCapsAndAddsJitterAfterTheCap()
    {
        var policy = ClientService.BackoffPolicy(initialDelay: TimeSpan.FromSeconds(1), maxDelay: TimeSpan.FromMinutes(1), factor: 1.5,
            jitter: () => TimeSpan.FromSeconds(0.25));
        Assert.Equal(TimeSpan.FromSeconds(1.25), policy(0));
        Assert.Equal(TimeSpan.FromSeconds(2.5), policy(2));
        Assert.Equal(TimeSpan.FromSeconds(60.25), policy(50));
        Assert.Equal(TimeSpan.FromSeconds(60.25), policy(int.MaxValue));
    }
}
