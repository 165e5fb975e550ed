using System.Collections;

namespace AsyncCore.Tasks;

/// <summary>
/// One iterator being run, a step at a time, by a <see cref="Cooperator"/> (Twisted's <c>CooperativeTask</c>). Each
/// <c>MoveNext</c> is one unit of work; yielding a <see cref="Deferred"/> pauses the task until it fires.
/// </summary>
public sealed class CooperativeTask
{
    private readonly IEnumerator _iterator;
    private readonly Cooperator _cooperator;
    private readonly List<Deferred<IEnumerator>> _whenDone = [];
    private int _pauseCount;
    private TaskFinishedException? _completionState;
    private object? _completionResult;

    internal CooperativeTask(IEnumerator iterator, Cooperator cooperator)
    {
        _iterator = iterator;
        _cooperator = cooperator;
        cooperator.AddTask(this);
    }

    /// <summary>True once the task is done, stopped or failed.</summary>
    public bool IsFinished => _completionState is not null;

    /// <summary>
    /// A new Deferred that fires with the iterator when it is exhausted, or fails with the iterator's exception,
    /// <see cref="TaskStoppedException"/> or <see cref="SchedulerStoppedException"/>.
    /// </summary>
    public Deferred<IEnumerator> WhenDone()
    {
        var deferred = new Deferred<IEnumerator>();
        if (_completionState is null)
        {
            _whenDone.Add(deferred);
        }
        else
        {
            Fire(deferred, _completionResult);
        }
        return deferred;
    }

    /// <summary>Pauses the task (pauses are counted: each needs a <see cref="Resume"/>).</summary>
    /// <exception cref="TaskFinishedException">The task has finished.</exception>
    /// <exception cref="SchedulerStoppedException">The cooperator was stopped.</exception>
    public void Pause()
    {
        ThrowIfFinished();
        _pauseCount++;
        if (_pauseCount == 1)
        {
            _cooperator.RemoveTask(this);
        }
    }

    /// <summary>Undoes one <see cref="Pause"/>; at zero the task runs again.</summary>
    /// <exception cref="NotPausedException">The task is not paused.</exception>
    public void Resume()
    {
        if (_pauseCount == 0)
        {
            throw new NotPausedException();
        }
        _pauseCount--;
        if (_pauseCount == 0 && _completionState is null)
        {
            _cooperator.AddTask(this);
        }
    }

    /// <summary>Stops the task: its <see cref="WhenDone"/> Deferreds fail with <see cref="TaskStoppedException"/>.</summary>
    /// <exception cref="TaskFinishedException">The task has finished.</exception>
    public void Stop()
    {
        ThrowIfFinished();
        CompleteWith(new TaskStoppedException(), new Failure(new TaskStoppedException()));
    }

    internal void CompleteWith(TaskFinishedException state, object result)
    {
        _completionState = state;
        _completionResult = result;
        if (_pauseCount == 0)
        {
            _cooperator.RemoveTask(this);
        }
        foreach (var deferred in _whenDone)
        {
            Fire(deferred, result);
        }
        _whenDone.Clear();
    }

    internal void CompleteWithSchedulerStopped(Exception error) =>
        CompleteWith(new TaskStoppedException("The cooperator was stopped.", error), new Failure(error));

    /// <summary>Runs one step of the iterator.</summary>
    internal void OneWorkUnit()
    {
        object? result;
        try
        {
            if (!_iterator.MoveNext())
            {
                CompleteWith(new TaskDoneException(), _iterator);
                return;
            }
            result = _iterator.Current;
        }
        catch (Exception ex)
        {
            CompleteWith(new TaskFailedException(), new Failure(ex));
            return;
        }
        if (result is Deferred deferred)
        {
            Pause();
            deferred.AddStage(new WaitStage(this));
        }
    }

    private void ThrowIfFinished()
    {
        if (_completionState is { } state)
        {
            throw state switch
            {
                { InnerException: SchedulerStoppedException } => new SchedulerStoppedException(),
                TaskDoneException => new TaskDoneException(),
                TaskFailedException => new TaskFailedException(),
                _ => new TaskStoppedException(),
            };
        }
    }

    private static void Fire(Deferred<IEnumerator> deferred, object? result)
    {
        if (result is Failure failure)
        {
            deferred.Errback(failure);
        }
        else
        {
            deferred.Callback((IEnumerator)result!);
        }
    }

    /// <summary>Resumes the task when the yielded Deferred fires (its result is consumed); a failure ends the task.</summary>
    private sealed class WaitStage(CooperativeTask task) : Stage
    {
        public override object? Invoke(object? result)
        {
            if (result is Failure failure)
            {
                if (task._completionState is null)
                {
                    task.CompleteWith(new TaskFailedException(), failure);
                }
            }
            else
            {
                task.Resume();
            }
            return null;
        }
    }
}
