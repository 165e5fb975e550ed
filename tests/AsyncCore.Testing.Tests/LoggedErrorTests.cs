using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Transports;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Testing.Tests;

/// <summary>
/// trial's logged errors: an error logged with an exception while a test runs (by the reactor, a transport, the Deferred
/// layer, on the test's flow or its reactor's thread) fails the test unless the test flushes it.
/// </summary>
public class LoggedErrorTests
{
    [Fact]
    public async Task RunAsync_ProtocolThrowsInDataReceived_TheTransportsLoggedErrorFailsTheTest()
    {
        using var janitor = new TestJanitor("throwing protocol");
        await ReactorTestRunner.RunAsync(async reactor =>
        {
            var serverLost = new Deferred<object?>();
            var clientLost = new Deferred<object?>();
            var port = reactor.ListenTcp(0, Factory.ForProtocol(() => new Throwing(serverLost)), interfaceAddress: "127.0.0.1");
            reactor.ConnectTcp("127.0.0.1", PortOf(port), new ClientFactory(() => new Sender(clientLost)));
            // The transport logs the protocol's exception and closes its connection; the client sees the close.
            await serverLost;
            await clientLost;
            await port.StopListening();
            return true;
        }, janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);

        var e = Assert.Throws<AsyncCoreAssertionException>(janitor.Verify);
        Assert.Contains("Logged error (AsyncCore.Reactor): DataReceived of Throwing failed", e.Message, StringComparison.Ordinal);
        Assert.Contains("protocol-marker", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ThrowingTimer_FlushedByType_PassesAndIsReturned()
    {
        using var janitor = new TestJanitor("flushed timer");
        await ReactorTestRunner.RunAsync(async reactor =>
        {
            reactor.CallLater(TimeSpan.Zero, () => throw new FormatException("timer-marker"));
            await reactor.DeferLater(TimeSpan.FromMilliseconds(1), () => 0);
            return true;
        }, janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Empty(janitor.FlushLoggedErrors(typeof(TimeoutException)));
        var flushed = Assert.Single(janitor.FlushLoggedErrors(typeof(FormatException)));
        Assert.Equal("timer-marker", flushed.Value.Message);
        janitor.Verify();
    }

    [Fact]
    public async Task RunAsync_ThreadPoolWorkThrows_ItsLoggedErrorFailsTheTest()
    {
        using var janitor = new TestJanitor("throwing pool work");
        await ReactorTestRunner.RunAsync(reactor =>
        {
            reactor.CallInThread(() => throw new FormatException("pool-marker"));
            return Deferred.Succeed(true);
        }, janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);

        // The worker logs before it counts itself idle, and the runner waits for the pool to be idle.
        var problem = Assert.Single(janitor.FindProblems());
        Assert.StartsWith("Logged error (AsyncCore.Reactor): Unhandled exception in thread pool", problem, StringComparison.Ordinal);
        Assert.Contains("pool-marker", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TestFlow_ThrowingCanceller_IsALoggedError()
    {
        using var janitor = new TestJanitor("canceller");
        var d = new Deferred<int>(_ => throw new InvalidOperationException("canceller-marker"));
        d.Cancel();
        DeferredAssert.FailureResultOf(d, typeof(CancelledException));
        var problem = Assert.Single(janitor.FindProblems());
        Assert.StartsWith("Logged error (AsyncCore.Deferred): The canceller of a Deferred threw an exception", problem, StringComparison.Ordinal);
        Assert.Contains("canceller-marker", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TestFlow_WarningsAndErrorsWithoutAnException_DoNotCount()
    {
        using var janitor = new TestJanitor("not errors");
        var logger = AsyncCoreLogging.CreateLogger("AsyncCore.Tests.Component");
        logger.LogWarning(new InvalidOperationException("a warning"), "only a warning");
        logger.LogError("an error with no exception");
        janitor.Verify();
    }

    [Fact]
    public void TestFlow_UnhandledFailure_IsOneProblem_NotAlsoALoggedError()
    {
        using var janitor = new TestJanitor("unhandled once");
        _ = Deferred.Fail<int>(new InvalidOperationException("unhandled-marker"));
        var problem = Assert.Single(janitor.FindProblems());
        Assert.StartsWith("Unhandled error in Deferred", problem, StringComparison.Ordinal);
    }

    private static int PortOf(IListeningPort port) => ((System.Net.IPEndPoint)port.GetHost()).Port;

    private sealed class Sender(Deferred<object?> lost) : Protocol
    {
        public override void ConnectionMade() => Transport.Write("x"u8);

        public override void ConnectionLost(Failure reason) => lost.Callback(null);
    }

    private sealed class Throwing(Deferred<object?> lost) : Protocol
    {
        public override void DataReceived(ReadOnlySpan<byte> data) => throw new InvalidOperationException("protocol-marker");

        public override void ConnectionLost(Failure reason) => lost.Callback(null);
    }
}
