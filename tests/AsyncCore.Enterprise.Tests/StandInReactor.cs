using System.Collections.Concurrent;

namespace AsyncCore.Enterprise.Tests;

/// <summary>
/// A small real reactor on a background thread (a FIFO of thread calls plus system event triggers with Deferred-aware
/// "before" phases), standing in until the core reactor lands.
/// </summary>
internal sealed class StandInReactor : IReactorCore, IReactorThreads
{
    private readonly BlockingCollection<Action> _calls = [];
    private readonly List<(SystemEventTrigger Handle, Func<Deferred?> Callable)> _triggers = [];
    private readonly List<Action> _whenRunning = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stopping;

    public StandInReactor()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "stand-in reactor" };
    }

    public bool Running { get; private set; }

    public bool IsReactorThread => Thread.CurrentThread == _thread;

    public Task Stopped => _stopped.Task;

    public void RunInBackground() => _thread.Start();

    public void Run()
    {
        CallFromThread(() =>
        {
            Running = true;
            FireSystemEvent(SystemEvents.Startup);
            foreach (var call in _whenRunning.ToArray())
            {
                call();
            }
            _whenRunning.Clear();
        });
        foreach (var call in _calls.GetConsumingEnumerable())
        {
            try
            {
                call();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine("stand-in reactor: unhandled " + e);
            }
        }
        Running = false;
        _stopped.TrySetResult();
    }

    public void Stop()
    {
        if (!Running || _stopping)
        {
            throw new ReactorNotRunningException();
        }
        _stopping = true;
        CallFromThread(() => FireSystemEvent(SystemEvents.Shutdown, _calls.CompleteAdding));
    }

    public void CallWhenRunning(Action callable)
    {
        if (Running)
        {
            callable();
        }
        else
        {
            _whenRunning.Add(callable);
        }
    }

    public SystemEventTrigger AddSystemEventTrigger(SystemEventPhase phase, string eventType, Action callable) =>
        AddSystemEventTrigger(phase, eventType, () =>
        {
            callable();
            return null;
        });

    public SystemEventTrigger AddSystemEventTrigger(SystemEventPhase phase, string eventType, Func<Deferred?> callable)
    {
        var handle = new SystemEventTrigger(phase, eventType);
        _triggers.Add((handle, callable));
        return handle;
    }

    public void RemoveSystemEventTrigger(SystemEventTrigger trigger)
    {
        if (_triggers.RemoveAll(t => t.Handle == trigger) == 0)
        {
            throw new ArgumentException("Unknown trigger.", nameof(trigger));
        }
    }

    public void FireSystemEvent(string eventType) => FireSystemEvent(eventType, null);

    private void FireSystemEvent(string eventType, Action? then)
    {
        List<Deferred<bool>> waits = [];
        foreach (var (_, callable) in Take(eventType, SystemEventPhase.Before))
        {
            if (callable() is Deferred<object?> d)
            {
                var wait = new Deferred<bool>();
                d.AddCallbacks(_ => { wait.Callback(true); return null; }, f => { wait.Callback(false); return null; });
                waits.Add(wait);
            }
        }
        void Rest()
        {
            foreach (var (_, callable) in Take(eventType, SystemEventPhase.During))
            {
                callable();
            }
            foreach (var (_, callable) in Take(eventType, SystemEventPhase.After))
            {
                callable();
            }
            then?.Invoke();
        }
        if (waits.Count == 0)
        {
            Rest();
        }
        else
        {
            new DeferredList<bool>(waits).AddCallback(_ => Rest());
        }
    }

    private List<(SystemEventTrigger, Func<Deferred?>)> Take(string eventType, SystemEventPhase phase)
    {
        var taken = _triggers.Where(t => t.Handle.EventType == eventType && t.Handle.Phase == phase).ToList();
        _triggers.RemoveAll(t => t.Handle.EventType == eventType && t.Handle.Phase == phase);
        return taken;
    }

    public void CallFromThread(Action callable)
    {
        try
        {
            _calls.Add(callable);
        }
        catch (InvalidOperationException)
        {
            // Stopped: like a real reactor, late calls are dropped.
        }
    }

    public void CallInThread(Action callable) => ThreadPool.QueueUserWorkItem(_ => callable());

    public void SuggestThreadPoolSize(int size)
    {
    }
}
