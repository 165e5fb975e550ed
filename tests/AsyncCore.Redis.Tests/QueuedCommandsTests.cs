namespace AsyncCore.Redis.Tests;

/// <summary>
/// How a batch or a transaction waits for its commands' replies (no server needed): the multiplexer creates its tasks
/// with RunContinuationsAsynchronously, and the wait must neither queue work to the thread pool per command nor end
/// before every command has.
/// </summary>
public sealed class QueuedCommandsTests
{
    private static TaskCompletionSource<int>[] Commands(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously))];

    [Fact]
    public void WhenAllSettled_CompletesOnTheThreadThatCompletesTheLastReply()
    {
        var commands = Commands(100);
        var settled = QueuedCommands.WhenAllSettled([.. commands.Select(c => (Task)c.Task)]);

        for (var i = 0; i < commands.Length - 1; i++)
        {
            commands[i].SetResult(i);
        }
        Assert.False(settled.IsCompleted);
        commands[^1].SetResult(99);

        // Completed by that call itself: Task.WhenAll would have queued each reply's part to the thread pool.
        Assert.True(settled.IsCompletedSuccessfully);
    }

    [Fact]
    public void WhenAllSettled_RepliesCompletingOutOfOrder_WaitsForEveryOne()
    {
        var commands = Commands(5);
        var settled = QueuedCommands.WhenAllSettled([.. commands.Select(c => (Task)c.Task)]);

        commands[4].SetResult(4);
        commands[1].SetException(new InvalidOperationException("refused"));
        Assert.False(settled.IsCompleted);
        commands[3].SetCanceled(TestContext.Current.CancellationToken);
        commands[0].SetResult(0);
        Assert.False(settled.IsCompleted);
        commands[2].SetResult(2);

        // Failed and cancelled commands count as settled: each command's Deferred reports its own outcome.
        Assert.True(settled.IsCompletedSuccessfully);
    }

    [Fact]
    public void WhenAllSettled_NothingQueuedOrAllDone_IsCompletedAtOnce()
    {
        Assert.True(QueuedCommands.WhenAllSettled([]).IsCompletedSuccessfully);
        Assert.True(QueuedCommands.WhenAllSettled([Task.CompletedTask, Task.FromException(new InvalidOperationException())]).IsCompletedSuccessfully);
    }
}
