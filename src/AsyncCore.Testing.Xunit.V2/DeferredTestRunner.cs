using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace AsyncCore.Testing;

/// <summary>xunit's test runner, whose invoker calls the method on a real reactor.</summary>
internal sealed class DeferredTestRunner(ITest test, IMessageBus messageBus, Type testClass, object[] constructorArguments, MethodInfo testMethod, object[] testMethodArguments, string skipReason, IReadOnlyList<BeforeAfterTestAttribute> beforeAfterAttributes, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    : XunitTestRunner(test, messageBus, testClass, constructorArguments, testMethod, testMethodArguments, skipReason, beforeAfterAttributes, aggregator, cancellationTokenSource)
{
    protected override Task<decimal> InvokeTestMethodAsync(ExceptionAggregator aggregator) =>
        new Invoker(Test, MessageBus, TestClass, ConstructorArguments, TestMethod, TestMethodArguments, BeforeAfterAttributes, aggregator, CancellationTokenSource).RunAsync();

    private sealed class Invoker(ITest test, IMessageBus messageBus, Type testClass, object[] constructorArguments, MethodInfo testMethod, object[] testMethodArguments, IReadOnlyList<BeforeAfterTestAttribute> beforeAfterAttributes, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
        : XunitTestInvoker(test, messageBus, testClass, constructorArguments, testMethod, testMethodArguments, beforeAfterAttributes, aggregator, cancellationTokenSource)
    {
        protected override object CallTestMethod(object testClassInstance)
        {
            var milliseconds = (TestCase as DeferredTestCase)?.ReactorTimeout ?? 0;
            TimeSpan? timeout = milliseconds > 0 ? TimeSpan.FromMilliseconds(milliseconds) : null;
            // xunit awaits the returned Task: the test has ended when it completes.
            return ReactorTestRunner.RunTestAsync(TestMethod, testClassInstance, TestMethodArguments, DisplayName, timeout, CancellationTokenSource.Token);
        }
    }
}
