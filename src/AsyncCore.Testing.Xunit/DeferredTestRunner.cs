using Xunit.Sdk;
using Xunit.v3;

namespace AsyncCore.Testing;

/// <summary>xunit's test runner, with the test method invoked on a real reactor by <see cref="ReactorTestRunner"/>.</summary>
internal sealed class DeferredTestRunner : XunitTestRunner
{
    public static new DeferredTestRunner Instance { get; } = new();

    public new async ValueTask<RunSummary> Run(IXunitTest test, IMessageBus messageBus, object?[] constructorArguments, ExplicitOption explicitOption, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource, ParallelMode parallelMode, ExecutionScheduler scheduler, IReadOnlyCollection<IBeforeAfterTestAttribute> beforeAfterAttributes, FixtureMappingManager testFixtureMappings)
    {
        await using var ctxt = new Context(test, explicitOption, messageBus, aggregator, cancellationTokenSource, parallelMode, scheduler, beforeAfterAttributes, constructorArguments, testFixtureMappings);
        await ctxt.InitializeAsync();
        return await Run(ctxt);
    }

    private sealed class Context(
        IXunitTest test,
        ExplicitOption explicitOption,
        IMessageBus messageBus,
        ExceptionAggregator aggregator,
        CancellationTokenSource cancellationTokenSource,
        ParallelMode parallelMode,
        ExecutionScheduler scheduler,
        IReadOnlyCollection<IBeforeAfterTestAttribute> beforeAfterTestAttributes,
        object?[] constructorArguments,
        FixtureMappingManager testFixtureMappings)
        : XunitTestRunnerContext(test, explicitOption, messageBus, aggregator, cancellationTokenSource, parallelMode, scheduler, beforeAfterTestAttributes, constructorArguments, testFixtureMappings)
    {
        protected override object? InvokeTestMethod(object? testClassInstance)
        {
            var milliseconds = (Test.TestCase as DeferredTestCase)?.ReactorTimeout ?? 0;
            TimeSpan? timeout = milliseconds > 0 ? TimeSpan.FromMilliseconds(milliseconds) : null;
            // xunit awaits the returned Task: the test has ended when it completes.
            return ReactorTestRunner.RunTestAsync(Method, testClassInstance, MethodArguments, Test.TestDisplayName, timeout, CancellationTokenSource.Token);
        }
    }
}
