using AsyncCore.Reactor;
using AsyncCore.Transports;

namespace AsyncCore.Reactors;

/// <summary>
/// A reactor that lives on an existing single-threaded loop (a UI thread: WinForms, WPF, Avalonia, or any
/// <see cref="SynchronizationContext"/> that runs posted callbacks one at a time on one thread) instead of a thread of
/// its own: the .NET counterpart of Twisted's Qt and GTK reactors. Each pass is posted to the host; thread calls post a
/// pass at once, and a timer posts one when the next delayed call is due.
/// </summary>
/// <remarks>
/// <see cref="Start"/> returns at once (like Twisted's <c>runReturn</c>): the host's own loop does the running. The
/// host's context stays installed, so <c>await</c> continuations resume on the host thread, which is the reactor thread.
/// </remarks>
public sealed class HostLoopReactor : NetworkReactorBase
{
    private static readonly SendOrPostCallback s_runPass = static state => ((HostLoopReactor)state!).RunPass();

    private readonly SynchronizationContext _host;
    private readonly Timer _timer;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _passPosted;
    private int _startRequested;
    private bool _inPass;
    private bool _finished;
    private volatile bool _disposeRequested;
    private int _timerFreed;

    /// <summary>Creates a reactor driven by <paramref name="host"/>; it does nothing until <see cref="Start"/>.</summary>
    public HostLoopReactor(SynchronizationContext host, ReactorOptions? options = null) : base(options)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        _timer = new Timer(static state => ((HostLoopReactor)state!).SchedulePass(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Completes once the shutdown sequence has ended the reactor.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Starts the reactor on the host loop: the startup event fires in a callback posted to the host (or at once, when
    /// called on the host thread inside its context). Returns without waiting.
    /// </summary>
    /// <exception cref="ReactorAlreadyRunningException">Already started.</exception>
    /// <exception cref="ReactorNotRestartableException">The reactor was stopped before.</exception>
    public void Start()
    {
        if (_finished)
        {
            throw new ReactorNotRestartableException();
        }
        if (Interlocked.Exchange(ref _startRequested, 1) == 1)
        {
            throw new ReactorAlreadyRunningException();
        }
        if (SynchronizationContext.Current == _host)
        {
            StartOnHost();
        }
        else
        {
            _host.Post(static state => ((HostLoopReactor)state!).StartOnHost(), this);
        }
    }

    /// <summary>Same as <see cref="Start"/>: on a host loop, running means being driven by the host's own loop.</summary>
    public override void Run() => Start();

    private void StartOnHost()
    {
        try
        {
            _inPass = true;
            StartRunning();
        }
        catch (Exception ex)
        {
            _completion.TrySetException(ex);
            return;
        }
        finally
        {
            _inPass = false;
        }
        AfterPass();
    }

    private void SchedulePass()
    {
        if (Interlocked.Exchange(ref _passPosted, 1) == 0)
        {
            _host.Post(s_runPass, this);
        }
    }

    private void RunPass()
    {
        Volatile.Write(ref _passPosted, 0);
        if (!Started || _finished)
        {
            return;
        }
        _inPass = true;
        try
        {
            RunUntilCurrent();
        }
        finally
        {
            _inPass = false;
        }
        AfterPass();
    }

    private void AfterPass()
    {
        if (!Started)
        {
            Finish();
            return;
        }
        var timeout = ComputeTimeout();
        if (timeout == TimeSpan.Zero)
        {
            SchedulePass();
        }
        else if (timeout is { } t)
        {
            _timer.Change((long)Math.Min(Math.Ceiling(t.TotalMilliseconds), uint.MaxValue - 2), Timeout.Infinite);
        }
        else
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
        }
    }

    private void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        FinishRunning(mayRunAgain: false);
        if (_disposeRequested)
        {
            FreeTimer();
        }
        _completion.TrySetResult();
    }

    private protected override void WakeUp()
    {
        if (Volatile.Read(ref _startRequested) == 1)
        {
            SchedulePass();
        }
    }

    private protected override void OnTimersChanged()
    {
        // Outside a pass (say, a button handler scheduling a timer) nobody would re-arm the host timer: post a pass.
        if (!_inPass && Started)
        {
            SchedulePass();
        }
    }

    /// <summary>
    /// Releases the host timer. On a running reactor, stops it first and (from a thread other than the host's) waits
    /// until the shutdown sequence has ended it; on the host thread, which cannot wait for its own loop, the timer is
    /// released when the shutdown ends.
    /// </summary>
    public override void Dispose()
    {
        if (BeginDispose() is { } running && !OnHostThread)
        {
            running.Wait();
        }
    }

    /// <summary>
    /// Like <see cref="Dispose"/>, waiting for a running reactor's shutdown without blocking. Do not await it on the host
    /// thread: the shutdown it waits for needs that thread.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (BeginDispose() is { } running && !OnHostThread)
        {
            await running.ConfigureAwait(false);
        }
    }

    private bool OnHostThread => IsReactorThread || SynchronizationContext.Current == _host;

    /// <summary>Marks the reactor disposed and stops it; returns the end of the run, or null when there is none to wait for.</summary>
    private Task? BeginDispose()
    {
        _disposeRequested = true;
        if (Volatile.Read(ref _startRequested) == 0 || _completion.Task.IsCompleted)
        {
            FreeTimer();
            return null;
        }
        StopIfRunning();
        return _completion.Task;
    }

    private void FreeTimer()
    {
        if (Interlocked.Exchange(ref _timerFreed, 1) == 0)
        {
            _timer.Dispose();
        }
    }
}
