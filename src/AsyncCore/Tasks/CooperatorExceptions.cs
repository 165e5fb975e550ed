namespace AsyncCore.Tasks;

/// <summary>A <see cref="CooperativeTask"/> has finished; the subclass says how (Twisted's <c>TaskFinished</c>).</summary>
public abstract class TaskFinishedException : InvalidOperationException
{
    /// <summary>Creates the exception with a message.</summary>
    protected TaskFinishedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    protected TaskFinishedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The task's iterator is exhausted.</summary>
public sealed class TaskDoneException : TaskFinishedException
{
    /// <summary>Creates the exception with the default message.</summary>
    public TaskDoneException() : base("The cooperative task is done.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TaskDoneException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TaskDoneException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The task was stopped with <see cref="CooperativeTask.Stop"/>.</summary>
public sealed class TaskStoppedException : TaskFinishedException
{
    /// <summary>Creates the exception with the default message.</summary>
    public TaskStoppedException() : base("The cooperative task was stopped.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TaskStoppedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TaskStoppedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The task's iterator threw, or a Deferred it yielded failed.</summary>
public sealed class TaskFailedException : TaskFinishedException
{
    /// <summary>Creates the exception with the default message.</summary>
    public TaskFailedException() : base("The cooperative task failed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TaskFailedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TaskFailedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary><see cref="CooperativeTask.Resume"/> was called on a task that is not paused.</summary>
public sealed class NotPausedException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public NotPausedException() : base("The cooperative task is not paused.") { }

    /// <summary>Creates the exception with a message.</summary>
    public NotPausedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public NotPausedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The <see cref="Cooperator"/> was stopped: its tasks end with this failure, and new ones fail at once.</summary>
public sealed class SchedulerStoppedException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public SchedulerStoppedException() : base("The cooperator was stopped.") { }

    /// <summary>Creates the exception with a message.</summary>
    public SchedulerStoppedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public SchedulerStoppedException(string message, Exception innerException) : base(message, innerException) { }
}
