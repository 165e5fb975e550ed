using AsyncCore.Testing.Xunit.V2.Fixtures;

namespace AsyncCore.Testing.Xunit.V2.Tests;

/// <summary>
/// Runs AsyncCore.Testing.Xunit.V2.Fixtures (tests that pass, fail and time out on purpose) with xunit v2's own test
/// framework, in process, and checks what it reported for each.
/// </summary>
public sealed class FixtureRunTests : IAsyncLifetime
{
    private IReadOnlyDictionary<string, InProcessRun.Result> _results = new Dictionary<string, InProcessRun.Result>();

    public async Task InitializeAsync() =>
        _results = await InProcessRun.RunAsync(typeof(DeferredFactFixtures).Assembly, TimeSpan.FromMinutes(3));

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public void DeferredThatFires_Passes()
    {
        Assert.Equal("Pass", Result("Passes").Outcome);
        Assert.Equal("Pass", Result("PassesWithoutTheBaseClass").Outcome);
    }

    [Fact]
    public void DeferredThatFails_FailsWithTheExceptionAndItsTraceback()
    {
        var result = Result("FailsAfterAnAwait");
        Assert.Equal("Fail", result.Outcome);
        Assert.Equal(typeof(InvalidOperationException).FullName, result.ExceptionType);
        Assert.Contains("the fixture's failure", result.Message, StringComparison.Ordinal);
        Assert.Contains("DeferredFactFixtures.FailsAfterAnAwait", result.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public void DeferredThatNeverFires_TimesOutListingThePendingTimer()
    {
        var result = Result("TimesOutWithATimerPending");
        Assert.Equal("Fail", result.Outcome);
        Assert.Contains("timed out after 00:00:00.3000000", result.Message, StringComparison.Ordinal);
        Assert.Contains("the test's Deferred: Deferred (not fired)", result.Message, StringComparison.Ordinal);
        Assert.Contains("Pending delayed call on the reactor", result.Message, StringComparison.Ordinal);
        Assert.Contains("TimesOutWithATimerPending", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TestLeavingATimer_FailsAsADirtyReactor()
    {
        var result = Result("LeavesATimerBehind");
        Assert.Equal("Fail", result.Outcome);
        Assert.Contains("left 1 problem(s) behind", result.Message, StringComparison.Ordinal);
        Assert.Contains("LeavesATimerBehind", result.Message, StringComparison.Ordinal);
    }

    private InProcessRun.Result Result(string method)
    {
        Assert.True(_results.ContainsKey(method), $"No result for {method}; reported: {string.Join(", ", _results.Keys)}");
        return _results[method];
    }
}
