namespace AsyncCore;

/// <summary>
/// One stage of a Deferred chain: a callback/errback pair (exactly one of them runs, chosen by whether the current result
/// is a <see cref="Failure"/>). Stages form a singly linked list, so adding a callback costs one allocation: the stage.
/// </summary>
internal abstract class Stage
{
    public Stage? Next;

    /// <summary>
    /// Runs the side of the stage that matches <paramref name="result"/> and returns the next result (a Failure, a
    /// Deferred to chain on, an <see cref="IResultSource"/> or a plain object). Exceptions become Failures in the caller.
    /// </summary>
    public abstract object? Invoke(object? result);

    /// <summary>The type this stage hands on when it changes the chain's result type (for stale-handle messages).</summary>
    public virtual Type? OutputType => null;

    /// <summary>The user's callback, for stale-handle messages; null for internal stages.</summary>
    public virtual Delegate? UserCallable => null;

    /// <summary>
    /// Returned by a stage whose callback returned the very Deferred that holds the stage's input as its typed value
    /// (see <see cref="IResultSource"/>): without this marker the chain could not tell it from a stage passing its input
    /// through, and would not see that the callback returned a Deferred.
    /// </summary>
    public static readonly object ReturnedInput = new();

    /// <summary>What a stage whose callback returned <paramref name="returned"/> hands to the chain.</summary>
    protected static object Chained(Deferred returned, object? input) => ReferenceEquals(returned, input) ? ReturnedInput : returned;
}

/// <summary>A result stored typed, so value types travel down the chain without boxing.</summary>
internal interface IResultSource
{
    object? Boxed { get; }
}

/// <inheritdoc cref="IResultSource"/>
internal interface IResultSource<out T> : IResultSource
{
    T Value { get; }
}

/// <summary>A stage whose callback produces a typed value, kept in the stage itself (no boxing).</summary>
internal abstract class ValueStage<TOut> : Stage, IResultSource<TOut>
{
    public TOut Value { get; private set; } = default!;

    public object? Boxed => Value;

    public override Type OutputType => typeof(TOut);

    /// <summary>
    /// Stores <paramref name="value"/> as the next result, unless it is a Deferred to chain on or a Failure (which moves
    /// the chain to the error path, as in Twisted, whatever the declared type).
    /// </summary>
    protected object? Produce(TOut value, object? input)
    {
        if (!typeof(TOut).IsValueType)
        {
            if (value is Deferred chained)
            {
                return Chained(chained, input);
            }
            if (value is Failure failure)
            {
                return failure;
            }
        }
        Value = value;
        return this;
    }
}

/// <summary>A callback and an optional errback producing the same type.</summary>
internal sealed class CallbackStage<TIn, TOut>(Func<TIn, TOut>? callback, Func<Failure, TOut>? errback) : ValueStage<TOut>
{
    public override Delegate? UserCallable => (Delegate?)callback ?? errback;

    public override object? Invoke(object? result)
    {
        if (result is Failure failure)
        {
            return errback is null ? failure : Produce(errback(failure), result);
        }
        return callback is null ? result : Produce(callback(Deferred.Read<TIn>(result)), result);
    }
}

/// <summary>A callback returning a Deferred to chain on, and an optional errback doing the same.</summary>
/// <remarks>
/// For <c>TOut</c> = <see cref="object"/>, C# binds a lambda returning <c>null</c> to this overload rather than to the
/// value one (<c>Deferred&lt;object?&gt;</c> converts to <c>object?</c>, so it is the "better" target). For that type
/// both overloads mean the same thing (a value stage chains on a returned Deferred too), so a null is the value null
/// here, as the user meant. For any other type such a lambda is ambiguous and does not compile.
/// </remarks>
internal sealed class ChainStage<TIn, TOut>(Func<TIn, Deferred<TOut>>? callback, Func<Failure, Deferred<TOut>>? errback) : Stage
{
    public override Type OutputType => typeof(TOut);

    public override Delegate? UserCallable => (Delegate?)callback ?? errback;

    public override object? Invoke(object? result)
    {
        if (result is Failure failure)
        {
            return errback is null ? failure : Chain(errback(failure), result, "An errback returned a null Deferred.");
        }
        return callback is null ? result : Chain(callback(Deferred.Read<TIn>(result)), result, "A callback returned a null Deferred.");
    }

    private static object? Chain(Deferred<TOut>? returned, object? input, string nullMessage)
    {
        if (returned is null)
        {
            return typeof(TOut) == typeof(object) ? null : throw new InvalidOperationException(nullMessage);
        }
        return Chained(returned, input);
    }
}

/// <summary>A callback and an errback that passes the failure on (or replaces it), so the errback needs no value.</summary>
internal sealed class CallbackOrFailureStage<TIn, TOut>(Func<TIn, TOut> callback, Func<Failure, Failure>? errback) : ValueStage<TOut>
{
    public override Delegate? UserCallable => callback;

    public override object? Invoke(object? result) => result is Failure failure
        ? FailureMapStage.Map(errback, failure)
        : Produce(callback(Deferred.Read<TIn>(result)), result);
}

/// <summary>A Deferred-returning callback and an errback that passes the failure on (or replaces it).</summary>
internal sealed class ChainOrFailureStage<TIn, TOut>(Func<TIn, Deferred<TOut>> callback, Func<Failure, Failure>? errback) : Stage
{
    private readonly ChainStage<TIn, TOut> _chain = new(callback, null);

    public override Type OutputType => typeof(TOut);

    public override Delegate? UserCallable => callback;

    public override object? Invoke(object? result) => result is Failure failure
        ? FailureMapStage.Map(errback, failure)
        : _chain.Invoke(result);
}

/// <summary>A callback that observes the value and passes it on unchanged.</summary>
internal sealed class TapStage<T>(Action<T> callback) : Stage
{
    public override object? Invoke(object? result)
    {
        if (result is not Failure)
        {
            callback(Deferred.Read<T>(result));
        }
        return result;
    }
}

/// <summary>An errback that replaces the failure with another failure (or rethrows), staying on the error path.</summary>
internal sealed class FailureMapStage(Func<Failure, Failure> errback) : Stage
{
    public override Delegate? UserCallable => errback;

    public override object? Invoke(object? result) => result is Failure failure ? Map(errback, failure) : result;

    /// <summary>Runs a failure-to-failure errback (none: the failure passes on).</summary>
    public static Failure Map(Func<Failure, Failure>? errback, Failure failure) =>
        errback is null ? failure : errback(failure) ?? throw new InvalidOperationException("An errback returned a null Failure.");
}

/// <summary>
/// An errback that handles the failure without a value (Twisted's errback returning None): the chain continues with
/// null, so the rest of the chain is typed <c>T?</c> (a reference type).
/// </summary>
internal sealed class HandleStage<T>(Action<Failure> errback) : Stage
    where T : class
{
    public override Type OutputType => typeof(T);

    public override Delegate? UserCallable => errback;

    public override object? Invoke(object? result)
    {
        if (result is Failure failure)
        {
            errback(failure);
            return null;
        }
        return result;
    }
}

/// <summary>The value-type form of <see cref="HandleStage{T}"/>: a value becomes <c>T?</c>, a handled failure null.</summary>
internal sealed class HandleValueStage<T>(Action<Failure> errback) : ValueStage<T?>
    where T : struct
{
    public override Delegate? UserCallable => errback;

    public override object? Invoke(object? result)
    {
        if (result is Failure failure)
        {
            errback(failure);
            return Produce(null, result);
        }
        return Produce(Deferred.Read<T>(result), result);
    }
}

/// <summary>One function for both paths, receiving the <see cref="Outcome{T}"/>.</summary>
internal sealed class BothStage<TIn, TOut>(Func<Outcome<TIn>, TOut> both) : ValueStage<TOut>
{
    public override Delegate? UserCallable => both;

    public override object? Invoke(object? result) =>
        Produce(both(result is Failure failure ? Outcome<TIn>.FromFailure(failure) : Outcome<TIn>.FromValue(Deferred.Read<TIn>(result))), result);
}

/// <summary>A function run on both paths that leaves the result as it is (try/finally).</summary>
internal sealed class FinallyStage(Action action) : Stage
{
    public override object? Invoke(object? result)
    {
        action();
        return result;
    }
}

/// <summary>An untyped stage, for Twisted-style code working on plain objects.</summary>
internal sealed class ObjectStage(Func<object?, object?>? callback, Func<Failure, object?>? errback) : Stage
{
    public override Type OutputType => typeof(object);

    public override Delegate? UserCallable => (Delegate?)callback ?? errback;

    public override object? Invoke(object? result)
    {
        if (result is Failure failure)
        {
            return errback is null ? failure : errback(failure);
        }
        if (callback is null)
        {
            return result;
        }
        var next = callback(Deferred.BoxResult(result));
        return next is Deferred returned ? Chained(returned, result) : next;
    }
}

/// <summary>An internal stage reading the value typed; each side returns the next result object.</summary>
internal sealed class SplitStage<T>(Func<T, object?> callback, Func<Failure, object?> errback) : Stage
{
    public override object? Invoke(object? result) =>
        result is Failure failure ? errback(failure) : callback(Deferred.Read<T>(result));
}

/// <summary>
/// The stage <c>AddTimeout</c> appends: once its timeout has fired, it turns the <see cref="CancelledException"/> that
/// the timeout's cancel produced into a <see cref="DeferredTimeoutException"/> (or hands the outcome to the caller's
/// translation). Before that, and for any other result, it passes the result on untouched (the same Failure object).
/// </summary>
internal sealed class TimeoutStage<T>(TimeSpan timeout, Func<Outcome<T>, TimeSpan, T>? onTimeoutCancel) : ValueStage<T>
{
    public bool TimedOut;

    public override object? Invoke(object? result)
    {
        if (!TimedOut)
        {
            return result;
        }
        if (onTimeoutCancel is not null)
        {
            var outcome = result is Failure f ? Outcome<T>.FromFailure(f) : Outcome<T>.FromValue(Deferred.Read<T>(result));
            return Produce(onTimeoutCancel(outcome, timeout), result);
        }
        if (result is Failure failure && failure.Check<CancelledException>())
        {
            return new Failure(new DeferredTimeoutException(timeout));
        }
        return result;
    }
}
