using System.Diagnostics;
using System.Reflection;
using System.Xml.Linq;

namespace AsyncCore.Testing.Xunit.Tests;

/// <summary>
/// Runs AsyncCore.Testing.Xunit.Fixtures (tests that pass, fail and time out on purpose) as xunit v3 runs any test
/// project, and checks what xunit reported for each.
/// </summary>
public sealed class FixtureRunTests : IAsyncLifetime
{
    private IReadOnlyDictionary<string, XElement> _results = new Dictionary<string, XElement>();

    public async ValueTask InitializeAsync()
    {
        var fixtures = typeof(FixtureRunTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "FixturesAssembly").Value!;
        var report = Path.Combine(Path.GetTempPath(), $"asynccore-fixtures-{Guid.NewGuid():N}.xml");
        var info = new ProcessStartInfo("dotnet", ["exec", fixtures, "-noColor", "-noLogo", "-result-xml", report])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(patience.Token);
        Assert.True(File.Exists(report), $"The fixtures wrote no report:\n{await output}{await errors}");
        try
        {
            _results = XDocument.Load(report).Descendants("test").ToDictionary(t => (string)t.Attribute("method")!);
        }
        finally
        {
            File.Delete(report);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public void DeferredThatFires_Passes()
    {
        Assert.Equal("Pass", Result("Passes"));
        Assert.Equal("Pass", Result("PassesWithoutTheBaseClass"));
    }

    [Fact]
    public void DeferredThatFails_FailsWithTheExceptionAndItsTraceback()
    {
        Assert.Equal("Fail", Result("FailsAfterAnAwait"));
        var failure = _results["FailsAfterAnAwait"].Element("failure")!;
        Assert.Equal(typeof(InvalidOperationException).FullName, (string?)failure.Attribute("exception-type"));
        Assert.Contains("the fixture's failure", failure.Element("message")!.Value, StringComparison.Ordinal);
        Assert.Contains("DeferredFactFixtures.FailsAfterAnAwait", failure.Element("stack-trace")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void DeferredThatNeverFires_TimesOutListingThePendingTimer()
    {
        Assert.Equal("Fail", Result("TimesOutWithATimerPending"));
        var message = _results["TimesOutWithATimerPending"].Element("failure")!.Element("message")!.Value;
        Assert.Contains("timed out after 00:00:00.3000000", message, StringComparison.Ordinal);
        Assert.Contains("the test's Deferred: Deferred (not fired)", message, StringComparison.Ordinal);
        Assert.Contains("Pending delayed call on the reactor", message, StringComparison.Ordinal);
        Assert.Contains("TimesOutWithATimerPending", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TestLeavingATimer_FailsAsADirtyReactor()
    {
        Assert.Equal("Fail", Result("LeavesATimerBehind"));
        var message = _results["LeavesATimerBehind"].Element("failure")!.Element("message")!.Value;
        Assert.Contains("left 1 problem(s) behind", message, StringComparison.Ordinal);
        Assert.Contains("LeavesATimerBehind", message, StringComparison.Ordinal);
    }

    private string Result(string method)
    {
        Assert.True(_results.ContainsKey(method), $"No result for {method}; reported: {string.Join(", ", _results.Keys)}");
        return (string)_results[method].Attribute("result")!;
    }
}
