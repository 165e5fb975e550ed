// Deliberately the only AsyncCore using: a program that creates a reactor finds DeferLater, DeferToThread and
// BlockingCallFromThread on it without also importing AsyncCore.Reactor (where the extension methods for any
// IReactorTime/IReactorThreads live). This file compiling is the test; the fact checks that the calls work.
using AsyncCore.Reactors;

namespace AsyncCore.Tests.Reactors;

public sealed class OneUsingTests
{
    [Fact]
    public void ConcreteReactor_WithOnlyItsOwnUsing_OffersTheDeferredHelpers()
    {
        using var reactor = new EventLoopReactor();
        var fromThread = 0;
        var later = 0;
        var timedOut = false;
        reactor.CallWhenRunning(() =>
        {
            reactor.CallLater(TimeSpan.FromSeconds(10), () =>
            {
                timedOut = true;
                reactor.Stop();
            });
            // A worker asks the reactor thread for a value, then hands its own result back as a Deferred.
            reactor.DeferToThread(() => reactor.BlockingCallFromThread(() => 20) + 1).AddCallback(n =>
            {
                fromThread = n;
                reactor.DeferLater(TimeSpan.Zero, () => n * 2).AddCallback(m =>
                {
                    later = m;
                    reactor.Stop();
                    return m;
                });
                return n;
            });
        });
        reactor.Run();
        Assert.False(timedOut);
        Assert.Equal(21, fromThread);
        Assert.Equal(42, later);
    }
}
