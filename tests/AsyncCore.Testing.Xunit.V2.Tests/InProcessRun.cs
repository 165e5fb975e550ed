using System.Collections.Concurrent;
using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace AsyncCore.Testing.Xunit.V2.Tests;

/// <summary>Discovers and runs every test of an assembly with xunit v2's own framework, in this process.</summary>
internal static class InProcessRun
{
    /// <summary>One test's outcome ("Pass", "Fail", "Skip") and, for a failure, what xunit reported.</summary>
    public sealed record Result(string Outcome, string ExceptionType, string Message, string StackTrace);

    /// <summary>Runs the tests of <paramref name="assembly"/>; the results by test method name.</summary>
    public static async Task<IReadOnlyDictionary<string, Result>> RunAsync(Assembly assembly, TimeSpan patience)
    {
        var diagnostics = new Sink();
        using var framework = new XunitTestFramework(diagnostics);
        var options = new Options();

        var discovery = new Sink();
        using (var discoverer = framework.GetDiscoverer(Reflector.Wrap(assembly)))
        {
            discoverer.Find(includeSourceInformation: false, discovery, options);
            await discovery.Finished.Task.WaitAsync(patience);
        }

        var execution = new Sink();
        using (var executor = framework.GetExecutor(assembly.GetName()))
        {
            executor.RunTests(discovery.TestCases, execution, options);
            await execution.Finished.Task.WaitAsync(patience);
        }
        return execution.Results;
    }

    private sealed class Sink : LongLivedMarshalByRefObject, IMessageSink
    {
        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentBag<ITestCase> TestCases { get; } = [];

        public ConcurrentDictionary<string, Result> Results { get; } = new();

        public bool OnMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestCaseDiscoveryMessage found:
                    TestCases.Add(found.TestCase);
                    break;
                case IDiscoveryCompleteMessage:
                case ITestAssemblyFinished:
                    Finished.TrySetResult();
                    break;
                case ITestPassed passed:
                    Results[passed.TestMethod.Method.Name] = new Result("Pass", "", "", "");
                    break;
                case ITestSkipped skipped:
                    Results[skipped.TestMethod.Method.Name] = new Result("Skip", "", skipped.Reason, "");
                    break;
                case ITestFailed failed:
                    Results[failed.TestMethod.Method.Name] = new Result(
                        "Fail",
                        failed.ExceptionTypes.FirstOrDefault() ?? "",
                        string.Join(Environment.NewLine, failed.Messages),
                        string.Join(Environment.NewLine, failed.StackTraces));
                    break;
            }
            return true;
        }
    }

    /// <summary>Discovery and execution options: xunit's defaults for every value not set.</summary>
    private sealed class Options : ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly ConcurrentDictionary<string, object?> _values = new();

        public TValue GetValue<TValue>(string name) =>
            _values.TryGetValue(name, out var value) && value is TValue typed ? typed : default!;

        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }
}
