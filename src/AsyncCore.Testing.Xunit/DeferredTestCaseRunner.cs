using Xunit.Sdk;
using Xunit.v3;

namespace AsyncCore.Testing;

/// <summary>xunit's test case runner, whose tests run through <see cref="DeferredTestRunner"/>.</summary>
internal sealed class DeferredTestCaseRunner : XunitTestCaseRunner
{
    public static new DeferredTestCaseRunner Instance { get; } = new();

    public async ValueTask<RunSummary> Run(DeferredTestCase testCase, IMessageBus messageBus, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource, ParallelMode parallelMode, ExecutionScheduler scheduler, ExplicitOption explicitOption, object?[] constructorArguments, FixtureMappingManager caseFixtureMappings)
    {
        var tests = await aggregator.RunAsync(testCase.CreateTests, []);
        await using var ctxt = new Context(testCase, tests, explicitOption, messageBus, aggregator, testCase.TestCaseDisplayName, testCase.SkipReason, cancellationTokenSource, parallelMode, scheduler, constructorArguments, caseFixtureMappings);
        await ctxt.InitializeAsync();
        return await Run(ctxt);
    }

    private sealed class Context(
        IXunitTestCase testCase,
        IReadOnlyCollection<IXunitTest> tests,
        ExplicitOption explicitOption,
        IMessageBus messageBus,
        ExceptionAggregator aggregator,
        string displayName,
        string? skipReason,
        CancellationTokenSource cancellationTokenSource,
        ParallelMode parallelMode,
        ExecutionScheduler scheduler,
        object?[] constructorArguments,
        FixtureMappingManager caseFixtureMappings)
        : XunitTestCaseRunnerContext(testCase, tests, explicitOption, messageBus, aggregator, displayName, skipReason, cancellationTokenSource, parallelMode, scheduler, constructorArguments, caseFixtureMappings)
    {
        public override ValueTask<RunSummary> RunTest(IXunitTest test) =>
            DeferredTestRunner.Instance.Run(test, MessageBus, ConstructorArguments, ExplicitOption, Aggregator.Clone(), CancellationTokenSource, ParallelMode, Scheduler, BeforeAfterTestAttributes, CaseFixtureMappings);
    }
}
