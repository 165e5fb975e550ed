using System.Runtime.CompilerServices;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Tasks;

namespace AsyncCore.Testing.Tests;

/// <summary>
/// The end-of-test checks, run in-process: each test makes its own janitor, leaves something behind on purpose, and
/// checks what <see cref="TestJanitor.Verify"/> says, so no real test has to fail.
/// </summary>
public class TestJanitorTests
{
    [Fact]
    public void Verify_CleanTest_Passes()
    {
        using var janitor = new TestJanitor("clean");
        var clock = new Clock();
        var reactor = new MemoryReactorClock();
        janitor.Watch(clock);
        janitor.Watch(reactor);
        var call = clock.CallLater(TimeSpan.FromSeconds(1), () => { });
        call.Cancel();
        var d = Deferred.Fail<int>(new InvalidOperationException());
        DeferredAssert.FailureResultOf(d, typeof(InvalidOperationException));
        DeferredAssert.SuccessResultOf(reactor.ListenTcp(0, Factory.ForProtocol(() => new Echo())).StopListening());
        janitor.Verify();
        Assert.Empty(janitor.FindProblems());
    }

    [Fact]
    public void Verify_LeakedTimer_FailsAndCancelsIt()
    {
        using var janitor = new TestJanitor("leaky timer");
        var clock = new Clock();
        janitor.Watch(clock);
        var call = clock.CallLater(TimeSpan.FromSeconds(30), () => { });
        var e = Assert.Throws<AsyncCoreAssertionException>(janitor.Verify);
        Assert.Contains("Test leaky timer left 1 problem(s) behind", e.Message, StringComparison.Ordinal);
        Assert.Contains("Pending delayed call on the Clock", e.Message, StringComparison.Ordinal);
        Assert.Contains("00:00:30", e.Message, StringComparison.Ordinal);
        Assert.True(call.Cancelled);
        janitor.Verify();
    }

    [Fact]
    public void Verify_LeakedTimer_InDebug_ShowsWhereItWasScheduled()
    {
        using var janitor = new TestJanitor("leaky timer debug", debug: true);
        var clock = new Clock();
        janitor.Watch(clock);
        ScheduleAndForget(clock);
        var e = Assert.Throws<AsyncCoreAssertionException>(janitor.Verify);
        Assert.Contains("Scheduled at:", e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(ScheduleAndForget), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_LeakedReactorTimer_InDebug_ShowsWhereItWasScheduled()
    {
        using var janitor = new TestJanitor("real leaky timer debug", debug: true);
        await ReactorTestRunner.RunAsync(reactor =>
        {
            ScheduleAndForget(reactor);
            return Deferred.Succeed<object?>(null);
        }, janitor, TimeSpan.FromSeconds(30), debug: true, cancellationToken: TestContext.Current.CancellationToken);
        var problem = Assert.Single(janitor.FindProblems());
        Assert.Contains("Scheduled at:", problem, StringComparison.Ordinal);
        Assert.Contains(nameof(ScheduleAndForget), problem, StringComparison.Ordinal);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ScheduleAndForget(IReactorTime clock) => clock.CallLater(TimeSpan.FromMinutes(5), () => { });

    [Fact]
    public void Verify_LeakedPortAndConnection_OnTheMemoryReactor_Fail()
    {
        using var janitor = new TestJanitor("leaky network");
        var reactor = new MemoryReactorClock();
        janitor.Watch(reactor);
        var port = (MemoryPort)reactor.ListenTcp(8080, Factory.ForProtocol(() => new Echo()));
        port.Connect(new StringTransport());
        var problems = janitor.FindProblems();
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Port left listening: <MemoryPort Tcp 0.0.0.0:8080>", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Connection left open: StringTransport 10.0.0.1:12345 -> 192.168.1.1:54321", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_UnhandledFailure_FailsWithItsTraceback()
    {
        using var janitor = new TestJanitor("unhandled");
        DropFailed("lost-marker");
        var e = Assert.Throws<AsyncCoreAssertionException>(janitor.Verify);
        Assert.Contains("Unhandled error in Deferred", e.Message, StringComparison.Ordinal);
        Assert.Contains("lost-marker", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_UnhandledFailure_InDebug_ShowsWhereTheDeferredWasCreated()
    {
        using var janitor = new TestJanitor("unhandled debug", debug: true);
        DropFailed("debug-marker");
        var e = Assert.Throws<AsyncCoreAssertionException>(janitor.Verify);
        Assert.Contains("Deferred created at", e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(DropFailed), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_UnhandledFailure_AfterAnAwaitOnAnotherThread_IsStillCaught()
    {
        using var janitor = new TestJanitor("async unhandled");
        await Task.Run(() => DropFailed("pool-marker"), TestContext.Current.CancellationToken);
        await Task.Yield();
        DropFailed("resumed-marker");
        var problems = janitor.FindProblems();
        Assert.Contains(problems, p => p.Contains("pool-marker", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("resumed-marker", StringComparison.Ordinal));
    }

    [Fact]
    public void FlushLoggedErrors_TakesTheExpectedFailures_AndLeavesTheOthers()
    {
        using var janitor = new TestJanitor("flush");
        DropFailed("expected", new TimeoutException("expected"));
        DropFailed("unexpected");
        var flushed = janitor.FlushLoggedErrors(typeof(TimeoutException));
        Assert.IsType<TimeoutException>(Assert.Single(flushed).Value);
        var problem = Assert.Single(janitor.FindProblems());
        Assert.Contains("unexpected", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_RemovesTheTracker()
    {
        var before = UnhandledFailureTracker.Current;
        var janitor = new TestJanitor("installed");
        Assert.Same(janitor.Tracker, UnhandledFailureTracker.Current);
        janitor.Dispose();
        Assert.Same(before, UnhandledFailureTracker.Current);
    }

    [Fact]
    public async Task RunAsync_CleanTestOverRealTcp_LeavesNothing()
    {
        using var janitor = new TestJanitor("real echo");
        var echoed = await ReactorTestRunner.RunAsync(reactor => EchoOnce(reactor), janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("ping", echoed);
        janitor.Verify();
    }

    [Fact]
    public async Task RunAsync_LeakedTimerPortAndConnection_OnTheRealReactor_AreListed()
    {
        using var janitor = new TestJanitor("real leaks");
        await ReactorTestRunner.RunAsync(reactor =>
        {
            reactor.CallLater(TimeSpan.FromHours(1), () => { });
            var port = reactor.ListenTcp(0, Factory.ForProtocol(() => new Echo()), interfaceAddress: "127.0.0.1");
            var connected = new Deferred<object?>();
            var client = new ClientFactory(() => new Notifying(connected));
            reactor.ConnectTcp("127.0.0.1", ((System.Net.IPEndPoint)port.GetHost()).Port, client);
            return connected;
        }, janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        var problems = janitor.FindProblems();
        Assert.Contains(problems, p => p.StartsWith("Pending delayed call on the reactor", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Port left listening: ", StringComparison.Ordinal) && p.Contains("127.0.0.1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Connection left open: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_BusyPoolThread_IsListed()
    {
        using var janitor = new TestJanitor("busy pool");
        using var release = new ManualResetEventSlim();
        try
        {
            await ReactorTestRunner.RunAsync(reactor =>
            {
                var started = new Deferred<object?>();
                // Shutdown waits for the pool: let the worker go once the janitor has looked.
                reactor.AddSystemEventTrigger(Reactor.SystemEventPhase.Before, Reactor.SystemEvents.Shutdown, release.Set);
                reactor.CallInThread(() =>
                {
                    reactor.CallFromThread(() => started.Callback(null));
                    release.Wait(TimeSpan.FromSeconds(30));
                });
                return started;
            }, janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        }
        finally
        {
            release.Set();
        }
        Assert.Contains(janitor.FindProblems(), p => p.StartsWith("Reactor thread pool still busy: 1 working", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_PoolThreadStillReturningFromItsHandBack_IsNotListed()
    {
        // DeferToThread's worker fires the result through the reactor, then returns: the test may end in between. Here
        // the worker returns only after the reactor has fired the result and the janitor has first looked.
        using var janitor = new TestJanitor("finishing pool thread");
        using var returned = new ManualResetEventSlim();
        await ReactorTestRunner.RunAsync(reactor =>
        {
            var handedBack = new Deferred<object?>();
            reactor.CallInThread(() =>
            {
                reactor.CallFromThread(() => handedBack.Callback(null));
                Thread.Sleep(200);
                returned.Set();
            });
            return handedBack;
        }, janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(returned.IsSet);
        Assert.Empty(janitor.FindProblems());
    }

    [Fact]
    public async Task RunAsync_UnhandledFailureOnTheReactorThread_GoesToTheJanitor()
    {
        using var janitor = new TestJanitor("real unhandled");
        await ReactorTestRunner.RunAsync(reactor =>
        {
            DropFailed("reactor-marker");
            return Deferred.Succeed(0);
        }, janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains("reactor-marker", Assert.Single(janitor.FlushLoggedErrors()).Value.Message, StringComparison.Ordinal);
        janitor.Verify();
    }

    [Fact]
    public async Task RunAsync_Timeout_ListsWhatWasStillPending()
    {
        using var janitor = new TestJanitor("slow");
        var e = await Assert.ThrowsAsync<AsyncCoreAssertionException>(() => ReactorTestRunner.RunAsync(reactor =>
        {
            reactor.CallLater(TimeSpan.FromHours(1), () => { });
            return new Deferred<int>();
        }, janitor, TimeSpan.FromMilliseconds(200), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("Test slow timed out after", e.Message, StringComparison.Ordinal);
        Assert.Contains("the test's Deferred: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("Pending delayed call on the reactor", e.Message, StringComparison.Ordinal);
        janitor.FindProblems();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DropFailed(string marker, Exception? exception = null) =>
        _ = Deferred.Fail<int>(exception ?? new InvalidOperationException(marker));

    private static async Deferred<string> EchoOnce(Reactors.EventLoopReactor reactor)
    {
        var serverLost = new Deferred<object?>();
        var port = reactor.ListenTcp(0, Factory.ForProtocol(() => new EchoServer(serverLost)), interfaceAddress: "127.0.0.1");
        var received = new Deferred<string>();
        var lost = new Deferred<object?>();
        var client = new ClientFactory(() => new EchoClient(received, lost));
        reactor.ConnectTcp("127.0.0.1", ((System.Net.IPEndPoint)port.GetHost()).Port, client);
        var text = await received;
        await lost;
        await serverLost;
        await port.StopListening();
        return text;
    }

    private sealed class EchoServer(Deferred<object?> lost) : Protocol
    {
        public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);

        public override void ConnectionLost(Failure reason) => lost.Callback(null);
    }

    private sealed class Notifying(Deferred<object?> connected) : Protocol
    {
        public override void ConnectionMade() => connected.Callback(null);
    }

    private sealed class EchoClient(Deferred<string> received, Deferred<object?> lost) : Protocol
    {
        public override void ConnectionMade() => Transport.Write("ping"u8);

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            received.Callback(System.Text.Encoding.ASCII.GetString(data));
            Transport.LoseConnection();
        }

        public override void ConnectionLost(Failure reason) => lost.Callback(null);
    }
}
