using StackExchange.Redis;

namespace AsyncCore.Redis;

/// <summary>
/// The commands of a transaction or a batch, recorded on the reactor thread and started together on the multiplexer's
/// <see cref="ITransaction"/> or <see cref="IBatch"/> when it is executed; each command's Deferred is fired afterwards,
/// on the reactor thread, in the order the commands were added. Nothing reaches the multiplexer before the execution,
/// so a transaction or batch that is never executed leaves nothing behind, and a lazy client can record them before
/// it has connected.
/// </summary>
internal sealed class QueuedCommands
{
    private readonly List<Func<IDatabaseAsync, Task>> _starts = [];
    private readonly List<Action> _deliveries = [];

    public int Count => _starts.Count;

    public Deferred<T> Add<T>(Func<IDatabaseAsync, Task<T>> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Task<T>? task = null;
        var reply = new Deferred<T>();
        _starts.Add(target =>
        {
            try
            {
                task = command(target);
            }
            catch (Exception e) when (e is RedisException or ArgumentException or InvalidOperationException)
            {
                task = Task.FromException<T>(e);
            }
            return task;
        });
        _deliveries.Add(() =>
        {
            if (task is null)
            {
                return;
            }
            if (task.IsCompletedSuccessfully)
            {
                reply.Callback(task.Result);
            }
            else if (task.Exception is { } error)
            {
                // A command can fail on its own inside a batch or a committed transaction (WRONGTYPE).
                reply.Errback(error.InnerExceptions.Count == 1 ? error.InnerException! : error);
            }
            else
            {
                reply.Errback(new OperationCanceledException("The Redis command was cancelled."));
            }
        });
        return reply;
    }

    /// <summary>Starts every command on <paramref name="target"/>, in order (reactor thread); returns their tasks.</summary>
    public Task[] Start(IDatabaseAsync target)
    {
        var tasks = new Task[_starts.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = _starts[i](target);
        }
        return tasks;
    }

    /// <summary>Waits for every task, whatever its outcome: each command's Deferred reports its own error.</summary>
    public static async Task WhenAllSettled(Task[] tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or OperationCanceledException or InvalidOperationException or ArgumentException)
        {
            // Reported by the commands' own Deferreds.
        }
    }

    /// <summary>Fires each command's Deferred, in order (reactor thread).</summary>
    public void Deliver()
    {
        foreach (var deliver in _deliveries)
        {
            deliver();
        }
    }
}
