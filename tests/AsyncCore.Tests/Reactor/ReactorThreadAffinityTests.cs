using AsyncCore.Reactor;
using AsyncCore.Reactors;

namespace AsyncCore.Tests.Reactor;

/// <summary>
/// Deferreds belong to their reactor thread. Code on other threads reaches reactor work through
/// <c>CallFromThreadAsync</c>, a Task that resumes it off the reactor; with debugging on, touching a reactor-thread
/// Deferred from another thread fails loudly instead of losing or doubling callbacks.
/// </summary>
public sealed class ReactorThreadAffinityTests : IDisposable
{
    private readonly EventLoopReactor _reactor;
    private readonly ReactorThread _thread;

    public ReactorThreadAffinityTests()
    {
        _reactor = new EventLoopReactor(new ReactorOptions { LoggerFactory = new LogCapture(), DebugDeferreds = true });
        _thread = _reactor.RunInBackground();
    }

    public void Dispose()
    {
        _thread.Dispose();
        _reactor.Dispose();
    }

    [Fact]
    public async Task CallFromThreadAsync_RunsOnTheReactor_AndResumesTheCallerOffIt()
    {
        var ranOnReactor = false;

        var value = await _reactor.CallFromThreadAsync(() =>
        {
            ranOnReactor = _reactor.IsReactorThread;
            return _reactor.DeferLater(TimeSpan.FromMilliseconds(1), () => 42);
        }, TestContext.Current.CancellationToken);

        Assert.Equal(42, value);
        Assert.True(ranOnReactor);
        Assert.False(_reactor.IsReactorThread);
    }

    [Fact]
    public async Task CallFromThreadAsync_Failure_FaultsTheTask()
    {
        var error = await Assert.ThrowsAsync<IOException>(() =>
            _reactor.CallFromThreadAsync(() => Deferred.Fail<int>(new IOException("disk")), TestContext.Current.CancellationToken));

        Assert.Equal("disk", error.Message);
    }

    [Fact]
    public async Task CallFromThreadAsync_TokenCancelled_CancelsTheDeferredOnTheReactor()
    {
        using var cancel = new CancellationTokenSource();
        var cancelledOnReactor = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var task = _reactor.CallFromThreadAsync(() =>
        {
            started.SetResult();
            return new Deferred<int>(_ => cancelledOnReactor.TrySetResult(_reactor.IsReactorThread));
        }, cancel.Token);
        // Cancelled once the Deferred exists: cancelled before the call ran, there would be no Deferred to cancel.
        await started.Task.WaitAsync(TestContext.Current.CancellationToken);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(await cancelledOnReactor.Task);
    }

    [Fact]
    public void DebugMode_ReactorDeferredUsedFromAnotherThread_Throws()
    {
        // Made on the reactor thread, with the reactor's debugging on.
        Deferred<int>? made = null;
        _reactor.BlockingCallFromThread(() =>
        {
            made = new Deferred<int>();
            return 0;
        });
        var d = made!;

        var error = Assert.Throws<InvalidOperationException>(() => d.Callback(1));
        Assert.Contains("CallFromThreadAsync", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => d.AddCallback(x => x + 1));
        Assert.Throws<InvalidOperationException>(() => d.GetAwaiter().OnCompleted(() => { }));
        Assert.False(d.Called);

        // On its own thread it works.
        Assert.Equal(2, _reactor.BlockingCallFromThread(() =>
        {
            var next = d.AddCallback(x => x + 1);
            d.Callback(1);
            return next.Result;
        }));
    }

    [Fact]
    public void DebugOff_DeferredMadeOffAnyReactor_IsNotBoundToAThread()
    {
        // Made on the test thread (no reactor there): handing it to the reactor to fire is fine.
        var d = new Deferred<int>();
        var next = d.AddCallback(x => x * 2);

        _reactor.BlockingCallFromThread(() =>
        {
            d.Callback(21);
            return 0;
        });

        Assert.Equal(42, next.Result);
    }
}
