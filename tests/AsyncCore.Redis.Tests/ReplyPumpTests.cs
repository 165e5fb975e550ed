using AsyncCore.Reactor;

namespace AsyncCore.Redis.Tests;

/// <summary>The hand-over alone, without a server: completions in any order, delivered in issue order, batched.</summary>
public sealed class ReplyPumpTests
{
    [Fact]
    public void Replies_CompletedInReverseOrder_AreDeliveredInIssueOrderInOneHandOver()
    {
        var reactor = new QueueingReactor();
        var pump = new ReplyPump(reactor);
        var sources = Enumerable.Range(0, 100).Select(_ => new TaskCompletionSource<int>()).ToArray();
        var delivered = new List<int>();
        foreach (var source in sources)
        {
            pump.Track(source.Task, v => v).AddCallback(delivered.Add);
        }

        for (var i = sources.Length - 1; i >= 0; i--)
        {
            sources[i].SetResult(i);
        }
        // Continuations may run on the pool: run what reached the reactor until everything is delivered.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (delivered.Count < sources.Length && DateTime.UtcNow < deadline)
        {
            reactor.RunPending();
        }

        Assert.Equal(Enumerable.Range(0, 100), delivered);
        Assert.Equal(0, pump.InFlight);
        Assert.True(reactor.Calls < sources.Length, $"{reactor.Calls} hand-overs for {sources.Length} replies");
    }

    [Fact]
    public void Reply_AfterAnEarlierOneFailed_KeepsItsPlace()
    {
        var reactor = new QueueingReactor();
        var pump = new ReplyPump(reactor);
        var first = new TaskCompletionSource<int>();
        var second = new TaskCompletionSource<int>();
        var seen = new List<string>();
        pump.Track(first.Task, v => v).AddCallback(v => seen.Add($"ok {v}")).AddErrback(f =>
        {
            seen.Add(f.GetErrorMessage());
            return 0;
        });
        pump.Track(second.Task, v => v).AddCallback(v => seen.Add($"ok {v}"));

        second.SetResult(2);
        reactor.RunPending();
        Assert.Empty(seen);

        first.SetException(new InvalidOperationException("boom"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seen.Count < 2 && DateTime.UtcNow < deadline)
        {
            reactor.RunPending();
        }
        Assert.Equal(["boom", "ok 2"], seen);
    }

    [Fact]
    public void LongBurst_IsDeliveredInSlices_SoTheReactorRunsInBetween()
    {
        var reactor = new QueueingReactor();
        var pump = new ReplyPump(reactor);
        var delivered = new List<int>();
        const int count = ReplyPump.MaxPerDrain * 2 + 10;
        for (var i = 0; i < count; i++)
        {
            pump.Track(Task.FromResult(i), v => v).AddCallback(delivered.Add);
        }
        Assert.Equal(1, reactor.Calls);

        reactor.RunOne();
        Assert.Equal(ReplyPump.MaxPerDrain, delivered.Count);
        Assert.Equal(2, reactor.Calls);

        reactor.RunPending();
        Assert.Equal(Enumerable.Range(0, count), delivered);
        Assert.Equal(3, reactor.Calls);
    }

    [Fact]
    public void AsynchronousContinuationTask_IsHandedOverByTheCompletingThread_NotThroughThePool()
    {
        // StackExchange.Redis creates its tasks with RunContinuationsAsynchronously: a plain continuation would be
        // queued to the thread pool first, a thread switch per reply before the hand-over to the reactor.
        var reactor = new QueueingReactor();
        var pump = new ReplyPump(reactor);
        var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = new List<int>();
        pump.Track(source.Task, v => v).AddCallback(delivered.Add);

        var completer = new Thread(() => source.SetResult(7));
        completer.Start();
        completer.Join();

        Assert.Equal([completer.ManagedThreadId], reactor.CallingThreads);
        Assert.Null(SynchronizationContext.Current);
        reactor.RunPending();
        Assert.Equal([7], delivered);
    }

    /// <summary>Records <see cref="CallFromThread"/> calls; the test runs them, as the reactor thread would.</summary>
    private sealed class QueueingReactor : IReactorThreads
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Action> _calls = new();
        private int _count;

        public int Calls => Volatile.Read(ref _count);

        /// <summary>The managed thread id of each <see cref="CallFromThread"/> caller.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<int> CallingThreads { get; } = new();

        public bool IsReactorThread => true;

        public void CallFromThread(Action callable)
        {
            Interlocked.Increment(ref _count);
            CallingThreads.Enqueue(Environment.CurrentManagedThreadId);
            _calls.Enqueue(callable);
        }

        public void RunPending()
        {
            while (_calls.TryDequeue(out var call))
            {
                call();
            }
            Thread.Yield();
        }

        public void RunOne()
        {
            Assert.True(_calls.TryDequeue(out var call));
            call();
        }

        public void CallInThread(Action callable) => throw new NotSupportedException();

        public void SuggestThreadPoolSize(int size) => throw new NotSupportedException();
    }
}
