using AsyncCore.Reactor;
using AsyncCore.Reactors;
using Xunit.Sdk;

namespace AsyncCore.Enterprise.Tests;

/// <summary>A reactor running on a background thread, and helpers to call into it from a test and await the Deferred.</summary>
internal sealed class ReactorHarness : IAsyncDisposable
{
    private ReactorThread? _thread;

    private ReactorHarness(bool run)
    {
        Reactor = new EventLoopReactor();
        if (run)
        {
            Start();
        }
    }

    public EventLoopReactor Reactor { get; }

    public Task Stopped => _thread?.Completion ?? throw new InvalidOperationException("The reactor was never started.");

    public static ReactorHarness Running() => new(run: true);

    /// <summary>A reactor that does not run until <see cref="Start"/>.</summary>
    public static ReactorHarness NotYetRunning() => new(run: false);

    public void Start() => _thread = Reactor.RunInBackground();

    /// <summary>Runs <paramref name="call"/> on the reactor thread; the task completes with the Deferred's outcome, and
    /// faults if the Deferred fired on another thread.</summary>
    public Task<T> Call<T>(Func<Deferred<T>> call)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Reactor.CallFromThread(() =>
        {
            Deferred<T> d;
            try
            {
                d = call();
            }
            catch (Exception e)
            {
                done.SetException(e);
                return;
            }
            d.AddCallbacks<object?>(
                value =>
                {
                    if (Reactor.IsReactorThread)
                    {
                        done.SetResult(value);
                    }
                    else
                    {
                        done.SetException(new XunitException("The Deferred fired off the reactor thread."));
                    }
                    return (object?)null;
                },
                failure =>
                {
                    done.SetException(Reactor.IsReactorThread ? failure.Value : new XunitException("The Deferred failed off the reactor thread."));
                    return (object?)null;
                });
        });
        return done.Task;
    }

    /// <summary>Runs <paramref name="action"/> on the reactor thread.</summary>
    public Task<T> Run<T>(Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Reactor.CallFromThread(() =>
        {
            try
            {
                done.SetResult(action());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    /// <summary>Stops the reactor (running its shutdown triggers) and waits until it has stopped.</summary>
    public async Task StopAsync()
    {
        await Run(() =>
        {
            if (Reactor.Running)
            {
                Reactor.Stop();
            }
            return true;
        });
        await Stopped.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (_thread is not null && !_thread.Completion.IsCompleted)
        {
            try
            {
                await StopAsync();
            }
            catch (InvalidOperationException)
            {
                // Already stopping.
            }
        }
        Reactor.Dispose();
    }
}
