namespace AsyncCore;

public abstract partial class Deferred
{
    /// <summary>A Deferred that has already fired with <paramref name="value"/> (Twisted's <c>succeed</c>).</summary>
    public static Deferred<T> Succeed<T>(T value)
    {
        if (DebugInfo.Capturing || (!typeof(T).IsValueType && value is Deferred or Failure))
        {
            // Keep Callback's checks (a Deferred is rejected, a Failure errbacks) and debug stacks.
            var d = new Deferred<T>();
            d.Callback(value);
            return d;
        }
        return Deferred<T>.Fired(value);
    }

    /// <summary>
    /// A Deferred that has already fired with <paramref name="value"/>, untyped: <c>Deferred.Succeed(null)</c>, Twisted's
    /// <c>succeed(None)</c>. A typed value binds to <see cref="Succeed{T}(T)"/> instead.
    /// </summary>
    public static Deferred<object?> Succeed(object? value) => Succeed<object?>(value);

    /// <summary>A Deferred that has already failed with <paramref name="failure"/> (Twisted's <c>fail</c>).</summary>
    public static Deferred<T> Fail<T>(Failure failure)
    {
        var d = new Deferred<T>();
        d.Errback(failure);
        return d;
    }

    /// <summary>A Deferred that has already failed with <paramref name="exception"/>.</summary>
    public static Deferred<T> Fail<T>(Exception exception) => Fail<T>(new Failure(exception));

    /// <summary>
    /// Calls <paramref name="function"/> now and always returns a Deferred (Twisted's <c>maybeDeferred</c>): its value as a
    /// fired Deferred, an exception it throws as a failed one.
    /// </summary>
    public static Deferred<T> MaybeDeferred<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        try
        {
            return Succeed(function());
        }
        catch (Exception ex)
        {
            return Fail<T>(ex);
        }
    }

    /// <summary>
    /// Calls <paramref name="function"/> now: a Deferred it returns is passed back as it is; an exception it throws
    /// becomes a failed Deferred.
    /// </summary>
    public static Deferred<T> MaybeDeferred<T>(Func<Deferred<T>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        try
        {
            return function() ?? throw new InvalidOperationException("The function returned a null Deferred.");
        }
        catch (Exception ex)
        {
            return Fail<T>(ex);
        }
    }

    /// <summary>
    /// Calls <paramref name="function"/> now: the task it returns becomes a Deferred (see <see cref="FromTask{T}(Task{T})"/>);
    /// an exception it throws becomes a failed Deferred.
    /// </summary>
    public static Deferred<T> MaybeDeferred<T>(Func<Task<T>> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        try
        {
            return FromTask(function());
        }
        catch (Exception ex)
        {
            return Fail<T>(ex);
        }
    }

    /// <summary>
    /// A Deferred that fires with the task's outcome. A finished task fires it at once; otherwise it fires on the
    /// synchronization context current at this call (the reactor thread, when called from it). A canceled task gives a
    /// <see cref="CancelledException"/> failure.
    /// </summary>
    public static Deferred<T> FromTask<T>(Task<T> task) => TaskInterop.FromTask(task, null);

    /// <summary>
    /// Starts <paramref name="start"/> with a token that is cancelled when the returned Deferred is cancelled: the
    /// two-way bridge between Deferred cancellation and <see cref="CancellationToken"/>.
    /// </summary>
    public static Deferred<T> FromTask<T>(Func<CancellationToken, Task<T>> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var source = new CancellationTokenSource();
        Task<T> task;
        try
        {
            task = start(source.Token);
        }
        catch (Exception ex)
        {
            source.Dispose();
            return Fail<T>(ex);
        }
        return TaskInterop.FromTask(task, source);
    }

    /// <summary>
    /// Fires with the index and value of the first input to succeed, and cancels all the others (Twisted's <c>race</c>).
    /// If every input fails, fails with a <see cref="FailureGroupException"/> holding the failures in input order.
    /// Cancelling the race cancels every input. Inputs' results are consumed.
    /// </summary>
    public static Deferred<(int Index, T Value)> Race<T>(params Deferred<T>[] deferreds)
    {
        ArgumentNullException.ThrowIfNull(deferreds);
        var inputs = (Deferred<T>[])deferreds.Clone();
        var failures = new Failure?[inputs.Length];
        var failureCount = 0;
        var finished = false;
        var result = new Deferred<(int, T)>(_ =>
        {
            foreach (var input in inputs)
            {
                input.Cancel();
            }
        });
        for (var i = 0; i < inputs.Length; i++)
        {
            var index = i;
            inputs[i].AddStage(new SplitStage<T>(
                value =>
                {
                    if (!finished)
                    {
                        finished = true;
                        for (var j = 0; j < inputs.Length; j++)
                        {
                            if (j != index)
                            {
                                inputs[j].Cancel();
                            }
                        }
                        result.Callback((index, value));
                    }
                    return Consumed;
                },
                failure =>
                {
                    failures[index] = failure;
                    failureCount++;
                    if (!finished && failureCount == inputs.Length)
                    {
                        finished = true;
                        result.Errback(new FailureGroupException(failures.Select(f => f!).ToArray()));
                    }
                    return Consumed;
                }));
        }
        return result;
    }

    /// <summary>The values of <paramref name="deferreds"/> once all have succeeded (see the enumerable overload).</summary>
    public static Deferred<IReadOnlyList<T>> GatherResults<T>(params Deferred<T>[] deferreds) => GatherResults(deferreds, false);

    /// <summary>
    /// <see cref="GatherResults{T}(IEnumerable{Deferred{T}}, bool)"/> over Deferreds of different types: the values
    /// come as objects, in input order.
    /// </summary>
    public static Deferred<IReadOnlyList<object?>> GatherResults(params Deferred[] deferreds)
    {
        ArgumentNullException.ThrowIfNull(deferreds);
        return GatherResults(deferreds.Select(UntypedView), false);
    }

    /// <summary>An untyped handle on <paramref name="deferred"/>'s chain, reading its values as objects.</summary>
    internal static Deferred<object?> UntypedView(Deferred deferred)
    {
        ArgumentNullException.ThrowIfNull(deferred);
        deferred.ThrowIfStale();
        return deferred as Deferred<object?> ?? new DeferredView<object?>(deferred.Chain);
    }

    /// <summary>
    /// Fires with every input's value, in input order, once all have succeeded; fails with a
    /// <see cref="FirstErrorException"/> (the failure and its index) as soon as one fails (Twisted's <c>gatherResults</c>).
    /// Cancelling it cancels every input.
    /// </summary>
    /// <param name="deferreds">The inputs.</param>
    /// <param name="consumeErrors">When true, a failed input's own result is consumed (None, as in Twisted) after the list has seen it.</param>
    public static Deferred<IReadOnlyList<T>> GatherResults<T>(IEnumerable<Deferred<T>> deferreds, bool consumeErrors = false)
    {
        var list = new DeferredList<T>(deferreds, fireOnOneErrback: true, consumeErrors: consumeErrors);
        return list.AddCallback(IReadOnlyList<T> (results) =>
        {
            var values = new T[results.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = results[i].Value!;
            }
            return values;
        });
    }
}
