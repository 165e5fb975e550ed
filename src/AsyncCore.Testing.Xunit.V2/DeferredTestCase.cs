using Xunit.Abstractions;
using Xunit.Sdk;

namespace AsyncCore.Testing;

/// <summary>
/// A <see cref="DeferredFactAttribute"/> test: runs through xunit's usual pipeline (class creation, before/after
/// attributes, disposal), except that the method is invoked on a real reactor by <see cref="ReactorTestRunner"/>.
/// </summary>
public sealed class DeferredTestCase : XunitTestCase
{
    /// <summary>For xunit's deserializer only.</summary>
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public DeferredTestCase()
    {
    }

    /// <summary>Creates the test case (the arguments are <see cref="XunitTestCase"/>'s).</summary>
    /// <param name="diagnosticMessageSink">xunit's diagnostic sink.</param>
    /// <param name="defaultMethodDisplay">How the test's name is shown.</param>
    /// <param name="defaultMethodDisplayOptions">Options of the shown name.</param>
    /// <param name="testMethod">The test method.</param>
    public DeferredTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions, ITestMethod testMethod)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod)
    {
    }

    /// <summary>How long the test's Deferred may take, in milliseconds; 0 for the class's or the default timeout.</summary>
    public int ReactorTimeout { get; private set; }

    /// <summary>
    /// Reads the attribute's timeout for the reactor runner and returns 0: xunit's own timeout would end the test
    /// without saying what was pending. (Called on discovery and after deserialization alike.)
    /// </summary>
    /// <param name="factAttribute">The test's attribute.</param>
    protected override int GetTimeout(IAttributeInfo factAttribute)
    {
        ArgumentNullException.ThrowIfNull(factAttribute);
        var seconds = factAttribute.GetNamedArgument<double>(nameof(DeferredFactAttribute.TimeoutSeconds));
        ReactorTimeout = seconds > 0
            ? (int)Math.Min(int.MaxValue, Math.Ceiling(seconds * 1000))
            : factAttribute.GetNamedArgument<int>("Timeout");
        return 0;
    }

    /// <inheritdoc />
    public override Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource) =>
        new DeferredTestCaseRunner(this, DisplayName, SkipReason, constructorArguments, TestMethodArguments, messageBus, aggregator, cancellationTokenSource).RunAsync();
}
