using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Testing.Tests;

/// <summary>The xunit v3 base class in real use: these tests are clean, so the end-of-test checks pass.</summary>
public class ReactorTestBaseTests : ReactorTestBase
{
    [Fact]
    public void Janitor_IsInstalledOnTheTestThread()
    {
        Assert.Same(Janitor.Tracker, UnhandledFailureTracker.Current);
    }

    [Fact]
    public async Task Janitor_FollowsTheTestAcrossAwaits()
    {
        await Task.Yield();
        await Task.Delay(1, TestContext.Current.CancellationToken);
        Assert.Same(Janitor.Tracker, UnhandledFailureTracker.Current);
    }

    [Fact]
    public void FlushLoggedErrors_MarksAnExpectedFailure()
    {
        _ = Deferred.Fail<int>(new TimeoutException("expected"));
        Assert.Single(FlushLoggedErrors(typeof(TimeoutException)));
    }

    [Fact]
    public void Clock_AndMemoryReactor_AreWatched()
    {
        Clock.CallLater(TimeSpan.FromSeconds(1), () => { });
        Clock.Advance(TimeSpan.FromSeconds(1));
        var port = (MemoryPort)MemoryReactor.ListenTcp(80, Factory.ForProtocol(() => new Echo()));
        var transport = new StringTransport();
        port.Connect(transport);
        transport.LoseConnection();
        port.StopListening();
        Assert.Empty(Janitor.FindProblems());
    }

    [Fact]
    public Task RunOnReactor_ReturnsTheDeferredsValue() => RunOnReactor(async reactor =>
    {
        Assert.True(reactor.IsReactorThread);
        await reactor.DeferLater(TimeSpan.FromMilliseconds(1));
        return 1;
    });
}
