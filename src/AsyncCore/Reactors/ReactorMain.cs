using AsyncCore.Reactor;
using AsyncCore.Transports;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Reactors;

/// <summary>
/// Runs a program's main Deferred on a reactor and turns its outcome into an exit code (Twisted's <c>task.react</c>):
/// <code>static int Main() =&gt; ReactorMain.React(async reactor =&gt; { ...; return 0; });</code>
/// </summary>
/// <remarks>
/// <para>Exit codes, as Twisted's: 0 when main succeeds (or main's value, for a <see cref="Deferred{T}"/> of
/// <see cref="int"/>); the exception's <see cref="ExitCodeException.ExitCode"/> when main fails with an
/// <see cref="ExitCodeException"/> (Twisted's <c>SystemExit(n)</c>); 1 when main fails otherwise, the failure being
/// logged on the reactor's logger.</para>
/// <para>React stops the reactor once main's Deferred has fired, unless something else stopped it first (then it does
/// not call <see cref="ReactorBase.Stop"/> again). When the reactor stops before main's Deferred fires, the exit code
/// comes from main's outcome if it fires during the shutdown, and is 0 if it never fires (as Twisted's).</para>
/// </remarks>
public static class ReactorMain
{
    /// <summary>
    /// Creates the default reactor (<see cref="ReactorFactory.Create"/>: <see cref="EpollReactor"/>
    /// on Linux, <see cref="EventLoopReactor"/> elsewhere, or the kind named by <c>ASYNCCORE_REACTOR</c>), calls
    /// <paramref name="main"/> on the reactor thread once it runs, runs until main's Deferred fires, then stops the
    /// reactor and returns the exit code (see the remarks of <see cref="ReactorMain"/>). The reactor is disposed before
    /// returning. To run a reactor of your choosing, pass it to <see cref="React{TReactor}(Func{TReactor, Deferred}, TReactor)"/>.
    /// </summary>
    public static int React(Func<NetworkReactorBase, Deferred> main)
    {
        ArgumentNullException.ThrowIfNull(main);
        using var reactor = ReactorFactory.Create();
        return Run(reactor, main, _ => 0);
    }

    /// <summary>
    /// Like <see cref="React(Func{NetworkReactorBase, Deferred})"/>, with main's value as the exit code on success.
    /// </summary>
    public static int React(Func<NetworkReactorBase, Deferred<int>> main)
    {
        ArgumentNullException.ThrowIfNull(main);
        using var reactor = ReactorFactory.Create();
        return Run(reactor, main, value => value is int code ? code : 0);
    }

    /// <summary>
    /// Calls <paramref name="main"/> on <paramref name="reactor"/>'s thread once it runs (any reactor that runs on the
    /// calling thread: <see cref="EventLoopReactor"/>, <see cref="EpollReactor"/>), runs it until main's Deferred fires,
    /// then stops it (unless something else already did) and returns the exit code (see the remarks of
    /// <see cref="ReactorMain"/>). The reactor is not disposed.
    /// </summary>
    /// <typeparam name="TReactor">The reactor's type, so that main gets the reactor with its own API.</typeparam>
    public static int React<TReactor>(Func<TReactor, Deferred> main, TReactor reactor)
        where TReactor : ReactorBase
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(reactor);
        return Run(reactor, main, _ => 0);
    }

    /// <summary>
    /// Like <see cref="React{TReactor}(Func{TReactor, Deferred}, TReactor)"/>, with main's value as the exit code on
    /// success.
    /// </summary>
    /// <typeparam name="TReactor">The reactor's type, so that main gets the reactor with its own API.</typeparam>
    public static int React<TReactor>(Func<TReactor, Deferred<int>> main, TReactor reactor)
        where TReactor : ReactorBase
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(reactor);
        return Run(reactor, main, value => value is int code ? code : 0);
    }

    private static int Run<TReactor>(TReactor reactor, Func<TReactor, Deferred> main, Func<object?, int> toCode)
        where TReactor : ReactorBase
    {
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
                code = ExitCode(result, toCode, logger);
                // Twisted's react stops the reactor once, and only if nobody else did: Stop raises on a reactor already
                // stopping (asked by main itself just before its Deferred fired, say), which nobody here would see.
                if (!stopping)
                {
                    reactor.StopIfRunning();
                }
            }));
        });
        reactor.Run();
        return code;
    }

    private static int ExitCode(object? result, Func<object?, int> toCode, ILogger logger)
    {
        if (result is not Failure failure)
        {
            return toCode(result);
        }
        if (failure.Value is ExitCodeException exit)
        {
            return exit.ExitCode;
        }
        logger.LogError(failure.Value, "main function encountered error");
        return 1;
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
