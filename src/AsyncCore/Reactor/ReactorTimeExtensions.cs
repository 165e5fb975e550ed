namespace AsyncCore.Reactor;

/// <summary>Deferred-returning delays on any <see cref="IReactorTime"/> (Twisted's <c>task.deferLater</c>).</summary>
public static class ReactorTimeExtensions
{
    /// <summary>
    /// A Deferred that, after <paramref name="delay"/>, fires with <paramref name="function"/>'s value (or fails with its
    /// exception; a returned Deferred is chained on). Cancelling it cancels the delayed call, so the function never
    /// runs, and the Deferred fails with <see cref="CancelledException"/>.
    /// </summary>
    public static Deferred<T> DeferLater<T>(this IReactorTime clock, TimeSpan delay, Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return DeferLater(clock, delay, () => Deferred.MaybeDeferred(function));
    }

    /// <inheritdoc cref="DeferLater{T}(IReactorTime, TimeSpan, Func{T})"/>
    public static Deferred<T> DeferLater<T>(this IReactorTime clock, TimeSpan delay, Func<Deferred<T>> function)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(function);
        IDelayedCall? call = null;
        var deferred = new Deferred<T>(_ => call!.Cancel());
        call = clock.CallLater(delay, () => Deferred.MaybeDeferred(function).ChainDeferred(deferred));
        return deferred;
    }

    /// <summary>A Deferred that fires with null after <paramref name="delay"/> (a sleep for async code on the reactor).</summary>
    public static Deferred<object?> DeferLater(this IReactorTime clock, TimeSpan delay) =>
        DeferLater(clock, delay, static object? () => null);
}
