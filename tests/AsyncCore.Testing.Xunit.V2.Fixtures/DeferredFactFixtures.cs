namespace AsyncCore.Testing.Xunit.V2.Fixtures;

/// <summary>[DeferredFact] tests in a <see cref="ReactorTestBase"/> class: one passes, one fails, one times out.</summary>
public sealed class DeferredFactFixtures : ReactorTestBase
{
    [DeferredFact(TimeoutSeconds = 30)]
    public async Deferred<int> Passes()
    {
        await Reactor.DeferLater(TimeSpan.FromMilliseconds(1));
        Assert.True(Reactor.IsReactorThread);
        return 1;
    }

    [DeferredFact(TimeoutSeconds = 30)]
    public async Deferred<int> FailsAfterAnAwait()
    {
        await Reactor.DeferLater(TimeSpan.FromMilliseconds(1));
        throw new InvalidOperationException("the fixture's failure");
    }

    [DeferredFact(TimeoutSeconds = 0.3)]
    public Deferred<int> TimesOutWithATimerPending()
    {
        var reply = new Deferred<int>();
        Reactor.CallLater(TimeSpan.FromHours(1), () => reply.Callback(1));
        return reply;
    }
}

/// <summary>[DeferredFact] in a class of its own, without ReactorTestBase: its own janitor checks the reactor.</summary>
public sealed class PlainClassFixtures
{
    [DeferredFact(TimeoutSeconds = 30)]
    public static Deferred<string> PassesWithoutTheBaseClass()
    {
        var reactor = ReactorTestRunner.CurrentReactor!;
        return reactor.DeferLater(TimeSpan.FromMilliseconds(1), () => "done");
    }

    [DeferredFact(TimeoutSeconds = 30)]
    public static Deferred<int> LeavesATimerBehind()
    {
        ReactorTestRunner.CurrentReactor!.CallLater(TimeSpan.FromHours(2), () => { });
        return Deferred.Succeed(1);
    }
}
