using System.Runtime.ExceptionServices;

namespace AsyncCore.Reactor;

/// <summary>
/// The <see cref="SynchronizationContext"/> installed on the reactor thread while an <c>EventLoopReactor</c> or <c>EpollReactor</c> runs:
/// <c>await</c> continuations captured there resume on the reactor thread (through <c>CallFromThread</c>), so code in
/// <c>async Deferred&lt;T&gt;</c> methods never runs on two threads at once and needs no locks.
/// </summary>
internal sealed class ReactorSynchronizationContext : SynchronizationContext
{
    internal ReactorSynchronizationContext(ReactorBase reactor) => Reactor = reactor;

    /// <summary>The reactor this context posts to.</summary>
    public ReactorBase Reactor { get; }

    /// <summary>Queues <paramref name="d"/> to run on the reactor thread (never inline).</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        Reactor.EnqueueThreadCall(d, state);
    }

    /// <summary>
    /// Runs <paramref name="d"/> on the reactor thread and waits for it: inline on the reactor thread, otherwise by
    /// queueing it and blocking the caller (an exception is rethrown in the caller).
    /// </summary>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Reactor.IsReactorThread)
        {
            d(state);
            return;
        }
        using var done = new ManualResetEventSlim();
        ExceptionDispatchInfo? error = null;
        Reactor.CallFromThread(() =>
        {
            try
            {
                d(state);
            }
            catch (Exception ex)
            {
                error = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        error?.Throw();
    }

    /// <summary>Returns this context: there is one per reactor.</summary>
    public override SynchronizationContext CreateCopy() => this;
}
