using System.Collections.Concurrent;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Tests.Reactor;

/// <summary>Helpers for tests that need a real reactor on a real thread.</summary>
internal static class ReactorTestSupport
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>A reactor whose log lines are kept in <paramref name="logs"/>.</summary>
    public static EventLoopReactor Create(out ListLoggerFactory logs, TimeSpan? stallThreshold = null)
    {
        logs = new ListLoggerFactory();
        return new EventLoopReactor(new ReactorOptions
        {
            LoggerFactory = logs,
            StallThreshold = stallThreshold ?? Timeout.InfiniteTimeSpan,
        });
    }

    /// <summary>Runs the reactor on the test thread, with a safety net that stops it after <see cref="Patience"/>.</summary>
    public static void RunWithSafetyNet(this ReactorBase reactor)
    {
        var timedOut = false;
        reactor.CallWhenRunning(() => reactor.CallLater(Patience, () =>
        {
            timedOut = true;
            reactor.StopIfRunning();
        }));
        reactor.Run();
        Assert.False(timedOut, "The reactor was stopped by the safety net: the test never stopped it.");
    }

    /// <summary>Runs <paramref name="function"/> on the reactor thread and waits for its result.</summary>
    public static T OnReactor<T>(this ReactorBase reactor, Func<T> function)
    {
        var source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        reactor.CallFromThread(() =>
        {
            try
            {
                source.SetResult(function());
            }
            catch (Exception ex)
            {
                source.SetException(ex);
            }
        });
        Assert.True(source.Task.Wait(Patience), "The reactor did not run the call in time.");
        return source.Task.Result;
    }

    public static void WaitOrFail(this ManualResetEventSlim signal, string what) =>
        Assert.True(signal.Wait(Patience), "Timed out waiting for " + what);

    public static void WaitOrFail(this Task task, string what) =>
        Assert.True(task.Wait(Patience), "Timed out waiting for " + what);
}

/// <summary>A logger factory keeping every entry, for asserting on what the reactor logged.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory, ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, formatter(state, exception), exception));
    }
}
