using AsyncCore.Tasks;

namespace AsyncCore.Docs.Tests;

/// <summary>
/// Twisted-style code inside an async method, compiled with a user's settings (warnings as errors, recommended
/// analyzers): a Deferred is awaitable, so a chain built as a statement raises CS4014; the documented idiom is the
/// discard, <c>_ = d.AddCallback(...)</c>, as for a Task one means not to await. This file is the check that the idiom
/// and the common shapes compile cleanly in an async context, and that they behave.
/// </summary>
public sealed class AsyncChainBuildingTests
{
    [Fact]
    public async Task ChainsBuiltAsStatementsInAnAsyncMethodCompileAndRun()
    {
        var clock = new Clock();
        var log = new List<string>();
        var ticks = 0;
        var loop = new LoopingCall(clock, () => ticks++);

        var price = new Deferred<int>();
        _ = price.AddCallback(cents => cents / 100.0)
                 .AddCallback(euros => log.Add($"{euros:0.00}"))
                 .AddErrback(f => log.Add("failed: " + f.GetErrorMessage()));
        _ = loop.Start(TimeSpan.FromSeconds(1));
        price.Callback(1999);
        clock.Advance(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        loop.Stop();

        var person = Deferred.Succeed("ada");
        var visits = Deferred.Succeed(3);
        var both = await DeferredList.Create(person, visits).AsTask(TestContext.Current.CancellationToken);

        Assert.Equal(["19.99"], log);
        Assert.Equal(3, ticks);
        Assert.Equal(["ada", 3], both.Select(item => item.Value));
    }
}
