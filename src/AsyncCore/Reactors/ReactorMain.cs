using AsyncCore.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Reactors;

/// <summary>
/// Runs a program's main Deferred on a reactor and turns its outcome into an exit code (Twisted's <c>task.react</c>):
/// <code>static int Main() =&gt; ReactorMain.React(async reactor =&gt; { ...; return 0; });</code>
/// </summary>
public static class ReactorMain
{
    /// <summary>
    /// Creates an <see cref="EventLoopReactor"/> (unless one is given), calls <paramref name="main"/> on the reactor
    /// thread once it runs, and runs until main's Deferred fires; then stops the reactor (unless someone else already
    /// did) and returns 0 on success or 1 on failure (the failure is logged).
    /// </summary>
    public static int React(Func<EventLoopReactor, Deferred> main, EventLoopReactor? reactor = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        return Run(reactor, r => main(r), _ => 0);
    }

    /// <summary>
    /// Like <see cref="React(Func{EventLoopReactor, Deferred}, EventLoopReactor?)"/>, with main's value as the exit code
    /// on success.
    /// </summary>
    public static int React(Func<EventLoopReactor, Deferred<int>> main, EventLoopReactor? reactor = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        return Run(reactor, r => main(r), value => value is int code ? code : 0);
    }

    private static int Run(EventLoopReactor? reactor, Func<EventLoopReactor, Deferred> main, Func<object?, int> toCode)
    {
        reactor ??= new EventLoopReactor();
        var logger = reactor.Logger;
        var stopping = false;
        var code = 0;
        reactor.AddSystemEventTrigger(SystemEventPhase.Before, SystemEvents.Shutdown, () => stopping = true);
        reactor.CallWhenRunning(() =>
        {
            Deferred finished;
            try
            {
                finished = main(reactor);
            }
            catch (Exception ex)
            {
                finished = Deferred.Fail<object?>(ex);
            }
            finished.AddStage(new FinishStage(result =>
            {
                if (result is Failure failure)
                {
                    logger.LogError(failure.Value, "main function encountered error");
                    code = 1;
                }
                else
                {
                    code = toCode(result);
                }
                if (!stopping)
                {
                    reactor.Stop();
                }
            }));
        });
        reactor.Run();
        return code;
    }

    private sealed class FinishStage(Action<object?> onResult) : Stage
    {
        public override object? Invoke(object? result)
        {
            onResult(Deferred.BoxResult(result));
            return null;
        }
    }
}
