namespace AsyncCore.Testing.Xunit.Tests;

/// <summary>[DeferredFact] in real use, in a ReactorTestBase class: these tests are clean and pass.</summary>
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

    [DeferredFact]
    public async Task TaskMethod_RunsOnTheReactorThread()
    {
        await Task.Yield();
        Assert.Same(Reactor, ReactorTestRunner.CurrentReactor);
    }

    [Fact]
    public void Reactor_OutsideADeferredFact_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => Reactor);
    }
}

/// <summary>[DeferredFact] without the base class: a static method reads its reactor from ReactorTestRunner.</summary>
public static class DeferredFactWithoutBaseClassTests
{
    [DeferredFact(TimeoutSeconds = 60)]
    public static async Deferred<string> StaticMethod_GetsItsOwnReactor()
    {
        var reactor = ReactorTestRunner.CurrentReactor;
        Assert.NotNull(reactor);
        return await reactor.DeferLater(TimeSpan.FromMilliseconds(1), () => "done");
    }
}
