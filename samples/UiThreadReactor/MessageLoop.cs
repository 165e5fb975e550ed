using System.Collections.Concurrent;

namespace UiThreadReactor;

/// <summary>
/// A minimal UI-style message loop: one thread runs posted callbacks in order until <see cref="Quit"/>, and its
/// <see cref="SynchronizationContext"/> is how other code posts to it, as a WinForms, WPF, Avalonia or Qt loop offers.
/// </summary>
internal sealed class MessageLoop : IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

    public MessageLoop() => Context = new LoopContext(this);

    public SynchronizationContext Context { get; }

    /// <summary>The thread running the loop (the "UI thread").</summary>
    public int ThreadId { get; private set; }

    /// <summary>Runs posted callbacks on the calling thread until <see cref="Quit"/> is called.</summary>
    public void Run()
    {
        ThreadId = Environment.CurrentManagedThreadId;
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(Context);
        try
        {
            foreach (var (callback, state) in _queue.GetConsumingEnumerable())
            {
                callback(state);
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>Ends <see cref="Run"/> once the callbacks already posted have run.</summary>
    public void Quit() => _queue.CompleteAdding();

    public void Dispose() => _queue.Dispose();

    private sealed class LoopContext(MessageLoop loop) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
            try
            {
                loop._queue.Add((d, state));
            }
            catch (InvalidOperationException)
            {
                // The loop has ended (the window closed): like a closed UI loop, later posts are dropped. A timer of
                // the reactor may still post one last pass while the loop winds down.
            }
        }

        public override void Send(SendOrPostCallback d, object? state) =>
            throw new NotSupportedException("A UI loop does not block on itself: use Post.");

        public override SynchronizationContext CreateCopy() => this;
    }
}
