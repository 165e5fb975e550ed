namespace AsyncCore.Testing.Xunit.V2.Tests;

/// <summary>[DeferredFact] under xunit v2, in a ReactorTestBase class: these tests are clean and pass.</summary>
public sealed class DeferredFactTests : ReactorTestBase
{
    [DeferredFact(TimeoutSeconds = 60)]
    public async Deferred<int> AsyncDeferred_RunsOnTheReactorThread()
    {
        Assert.True(Reactor.IsReactorThread);
        await Reactor.DeferLater(TimeSpan.FromMilliseconds(1));
        Assert.True(Reactor.IsReactorThread);
        Assert.Same(Reactor, ReactorTestRunner.CurrentReactor);
        return 1;
    }

    [DeferredFact]
    public void VoidMethod_RunsOnTheReactorThread()
    {
        Assert.True(Reactor.IsReactorThread);
    }

    [DeferredFact]
    public void FlushLoggedErrors_OnTheReactorThread_TakesTheReactorsFailures()
    {
        _ = Deferred.Fail<int>(new TimeoutException("expected"));
        var flushed = FlushLoggedErrors(typeof(TimeoutException));
        Assert.Equal("expected", Assert.Single(flushed).Value.Message);
    }

    [Fact]
    public void FlushLoggedErrors_MarksAnExpectedFailure()
    {
        _ = Deferred.Fail<int>(new TimeoutException("expected"));
        Assert.Single(FlushLoggedErrors(typeof(TimeoutException)));
    }

    [Fact]
    public void Clock_IsWatched()
    {
        Clock.CallLater(TimeSpan.FromSeconds(1), () => { });
        Assert.Single(Janitor.FindProblems());
    }

    [Fact]
    public Task RunOnReactor_ReturnsTheDeferredsValue() => RunOnReactor(async reactor =>
    {
        Assert.True(reactor.IsReactorThread);
        await reactor.DeferLater(TimeSpan.FromMilliseconds(1));
        return 1;
    });
}
