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
    // One object per command (its start, its task and its Deferred), rather than a closure and two delegates.
    private readonly List<QueuedCommand> _commands = [];

    public int Count => _commands.Count;

    public Deferred<T> Add<T>(Func<IDatabaseAsync, Task<T>> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var queued = new QueuedCommand<T>(command);
        _commands.Add(queued);
        return queued.Reply;
    }

    /// <summary>Starts every command on <paramref name="target"/>, in order (reactor thread); returns their tasks.</summary>
    public Task[] Start(IDatabaseAsync target)
    {
        var tasks = new Task[_commands.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = _commands[i].Start(target);
        }
        return tasks;
    }

    /// <summary>
    /// A task that completes (successfully) once every one of <paramref name="tasks"/> has, whatever its outcome: each
    /// command's Deferred reports its own error.
    /// </summary>
    /// <remarks>
    /// Not <see cref="Task.WhenAll(Task[])"/>: the multiplexer's tasks run their continuations asynchronously, so WhenAll
    /// queues one thread-pool item per command of the batch. The replies of one connection complete in order, so waiting
    /// for the last one (on the completing thread) is nearly always enough; the earlier ones are checked then, and any
    /// still running is waited for the same way.
    /// </remarks>
    public static Task<object?> WhenAllSettled(Task[] tasks)
    {
        var settled = new AllSettled(tasks);
        settled.WaitForLastRunning();
        return settled.Task;
    }

    private sealed class AllSettled(Task[] tasks)
    {
        private readonly TaskCompletionSource<object?> _done = new();
        private int _unchecked = tasks.Length;

        public Task<object?> Task => _done.Task;

        /// <summary>Finds the last task still running and waits for it; completes when there is none.</summary>
        public void WaitForLastRunning()
        {
            while (_unchecked > 0)
            {
                var task = tasks[_unchecked - 1];
                if (!task.IsCompleted)
                {
                    InlineCompletionContext.OnCompleted(task, WaitForLastRunning);
                    return;
                }
                _unchecked--;
            }
            _done.TrySetResult(null);
        }
    }

    /// <summary>Fires each command's Deferred, in order (reactor thread).</summary>
    public void Deliver()
    {
        foreach (var command in _commands)
        {
            command.Deliver();
        }
    }

    private abstract class QueuedCommand
    {
        public abstract Task Start(IDatabaseAsync target);

        public abstract void Deliver();
    }

    private sealed class QueuedCommand<T>(Func<IDatabaseAsync, Task<T>> command) : QueuedCommand
    {
        private Task<T>? _task;

        public Deferred<T> Reply { get; } = new();

        public override Task Start(IDatabaseAsync target)
        {
            try
            {
                _task = command(target);
            }
            catch (Exception e) when (e is RedisException or ArgumentException or InvalidOperationException)
            {
                _task = Task.FromException<T>(e);
            }
            return _task;
        }

        public override void Deliver()
        {
            if (_task is not { } task)
            {
                return;
            }
            if (task.IsCompletedSuccessfully)
            {
                Reply.Callback(task.Result);
            }
            else if (task.Exception is { } error)
            {
                // A command can fail on its own inside a batch or a committed transaction (WRONGTYPE).
                Reply.Errback(error.InnerExceptions.Count == 1 ? error.InnerException! : error);
            }
            else
            {
                Reply.Errback(new OperationCanceledException("The Redis command was cancelled."));
            }
        }
    }
}
