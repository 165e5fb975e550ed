using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Reactors;
using AsyncCore.Tests.Transports;

namespace AsyncCore.Tests.Endpoints;

/// <summary>
/// Malformed description strings give <see cref="EndpointFormatException"/> naming the field, never another exception
/// (issue 18); a UNIX path too long for a socket address fails the Deferred instead of throwing.
/// </summary>
public sealed class EndpointMalformedTests : IDisposable
{
    private readonly EventLoopReactor _reactor = new();

    public void Dispose() => _reactor.Dispose();

    [Theory]
    [InlineData("tcp=1", "endpoint type")]
    [InlineData("unix=/tmp/s:mode=600", "endpoint type")]
    [InlineData("unix:/tmp/s:mode=", "mode")]
    [InlineData("unix:/tmp/s:mode=-1", "mode")]
    [InlineData("unix:/tmp/s:mode=+666", "mode")]
    [InlineData("unix:/tmp/s:mode=77777777777", "mode")]
    [InlineData("unix:/tmp/s:mode=37777777777", "mode")]
    [InlineData("unix:/tmp/s:mode=10000", "mode")]
    [InlineData("unix:", "address")]
    [InlineData("unix:address=", "address")]
    public void ServerFromString_Malformed_ThrowsEndpointFormatExceptionNamingTheField(string description, string field)
    {
        var error = Assert.Throws<EndpointFormatException>(() => Endpoint.ServerFromString(_reactor, description));
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tcp=1", "endpoint type")]
    [InlineData("tcp:a:1:timeout=1e20", "timeout")]
    [InlineData("tcp:a:1:timeout=1e300", "timeout")]
    [InlineData("ssl:a:1:timeout=99999999999999", "timeout")]
    [InlineData("unix:/tmp/s:timeout=1e20", "timeout")]
    [InlineData("tls:a:1:timeout=1e20", "timeout")]
    [InlineData("tls::1", "host")]
    [InlineData("tls:host=:port=1", "host")]
    [InlineData("unix:", "path")]
    [InlineData("unix:path=", "path")]
    public void ClientFromString_Malformed_ThrowsEndpointFormatExceptionNamingTheField(string description, string field)
    {
        var error = Assert.Throws<EndpointFormatException>(() => Endpoint.ClientFromString(_reactor, description));
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("7777", 4095)]
    [InlineData("0600", 384)]
    public void ServerFromString_UnixModeInRange_IsAccepted(string mode, int expected)
    {
        var e = Assert.IsType<UnixServerEndpoint>(Endpoint.ServerFromString(_reactor, "unix:/tmp/s:mode=" + mode));
        Assert.Equal(expected, e.Mode);
    }

    [Fact]
    public void ClientFromString_LargestTimeout_IsAccepted()
    {
        var e = Assert.IsType<TcpClientEndpoint>(Endpoint.ClientFromString(_reactor, "tcp:a:1:timeout=86400"));
        Assert.Equal(TimeSpan.FromDays(1), e.Timeout);
    }

    private static string LongPath() => "/tmp/" + new string('x', 200) + ".sock";

    [Fact]
    public async Task UnixServerEndpoint_PathTooLong_FailsTheDeferredWithCannotListen()
    {
        using var net = new RunningReactor();
        var endpoint = Endpoint.ServerFromString(net.Reactor, "unix:" + LongPath() + ":lockfile=0");
        var error = await Assert.ThrowsAsync<CannotListenException>(() => net.Call(() => endpoint.Listen(new ServerFactory(() => new EchoProtocol()))));
        Assert.Contains("too long", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnixClientEndpoint_PathTooLong_FailsTheDeferredWithConnectException()
    {
        using var net = new RunningReactor();
        var endpoint = Endpoint.ClientFromString(net.Reactor, "unix:" + LongPath());
        var error = await Assert.ThrowsAsync<ConnectException>(() => net.Call(() => endpoint.Connect(new Factory(() => new CollectingProtocol()))));
        Assert.Contains("too long", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectUnix_PathTooLong_ReportsConnectionFailedToTheFactory()
    {
        // Twisted's connectUNIX reports a bad address through clientConnectionFailed, not by raising.
        using var net = new RunningReactor();
        var factory = new FailureRecordingFactory();
        var connector = await net.Run(() => net.Reactor.ConnectUnix(LongPath(), factory));
        var reason = await factory.Failed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.IsType<ConnectException>(reason);
        Assert.Contains(new string('x', 200), connector.GetDestination().ToString(), StringComparison.Ordinal);
    }

    private sealed class FailureRecordingFactory : ClientFactory
    {
        public TaskCompletionSource<Exception> Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override IProtocol? BuildProtocol(System.Net.EndPoint? address) => new CollectingProtocol();

        public override void ClientConnectionFailed(IConnector connector, Failure reason) => Failed.TrySetResult(reason.Value);
    }
}
