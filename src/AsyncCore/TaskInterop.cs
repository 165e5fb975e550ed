namespace AsyncCore;

/// <summary>Bridges Deferreds and tasks, in both directions, with cancellation mapped to and from tokens.</summary>
internal static class TaskInterop
{
    public static Deferred<T> FromTask<T>(Task<T> task, CancellationTokenSource? source)
    {
        ArgumentNullException.ThrowIfNull(task);
        Deferred<T> deferred = source is null ? new Deferred<T>() : new Deferred<T>(_ => source.Cancel());
        if (task.IsCompleted)
        {
            Complete(deferred, task, source);
            return deferred;
        }
        // TaskAwaiter resumes on the synchronization context captured here, so a Deferred created on the reactor
        // thread is fired on the reactor thread.
        var awaiter = task.GetAwaiter();
        awaiter.UnsafeOnCompleted(() => Complete(deferred, task, source));
        return deferred;
    }

    private static void Complete<T>(Deferred<T> deferred, Task<T> task, CancellationTokenSource? source)
    {
        source?.Dispose();
        if (deferred.Called)
        {
            // Cancelled by a canceller that did not wait for the task: the task's late result is dropped. A late
            // exception is marked observed, or it would resurface as an UnobservedTaskException at garbage collection.
            _ = task.Exception;
            return;
        }
        if (task.IsCompletedSuccessfully)
        {
            deferred.Callback(task.Result);
        }
        else if (task.IsCanceled)
        {
            deferred.Errback(new CancelledException("The task was canceled."));
        }
        else
        {
            var exception = task.Exception!.InnerExceptions.Count == 1 ? task.Exception.InnerException! : task.Exception;
            deferred.Errback(exception);
        }
    }

    public static Task<T> ToTask<T>(Deferred<T> deferred, CancellationToken cancellationToken)
    {
        var source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationTokenRegistration registration = default;
        if (cancellationToken.CanBeCanceled)
        {
            // Deferreds belong to one thread: cancel on the synchronization context current here (the reactor's). Not
            // with Register(useSynchronizationContext: true): that uses Send, which blocks the cancelling thread until
            // the reactor runs the cancel (and deadlocks if the reactor waits on that thread). Post instead, or cancel
            // inline when the token is cancelled on that context already.
            var context = SynchronizationContext.Current;
            registration = context is null
                ? cancellationToken.Register(static state => ((Deferred)state!).Cancel(), deferred)
                : cancellationToken.Register(() =>
                {
                    if (SynchronizationContext.Current == context)
                    {
                        deferred.Cancel();
                    }
                    else
                    {
                        context.Post(static state => ((Deferred)state!).Cancel(), deferred);
                    }
                });
        }
        deferred.AddStage(new SplitStage<T>(
            value =>
            {
                registration.Dispose();
                source.TrySetResult(value);
                return null;
            },
            failure =>
            {
                registration.Dispose();
                if (failure.Value is OperationCanceledException canceled)
                {
                    source.TrySetCanceled(canceled.CancellationToken.IsCancellationRequested ? canceled.CancellationToken : cancellationToken);
                }
                else
                {
                    source.TrySetException(failure.Value);
                }
                return null;
            }));
        return source.Task;
    }
}
