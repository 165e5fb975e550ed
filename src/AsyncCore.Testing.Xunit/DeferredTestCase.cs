using Xunit.Sdk;
using Xunit.v3;

namespace AsyncCore.Testing;

/// <summary>
/// A <see cref="DeferredFactAttribute"/> test: runs through xunit's usual pipeline (class creation, before/after
/// attributes, disposal), except that the method is invoked on a real reactor by <see cref="ReactorTestRunner"/>.
/// </summary>
public sealed class DeferredTestCase : XunitTestCase, ISelfExecutingXunitTestCase
{
    /// <summary>For xunit's deserializer only.</summary>
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public DeferredTestCase()
    {
    }

    /// <summary>Creates the test case (the arguments are <see cref="XunitTestCase"/>'s).</summary>
    /// <param name="testMethod">The test method.</param>
    /// <param name="testCaseDisplayName">The display name.</param>
    /// <param name="uniqueID">The unique ID.</param>
    /// <param name="explicit">Whether the test is explicit.</param>
    /// <param name="reactorTimeout">The timeout in milliseconds (0: the class's, or the default).</param>
    /// <param name="skipExceptions">Exceptions that skip the test.</param>
    /// <param name="skipReason">The skip reason.</param>
    /// <param name="skipType">The type holding <paramref name="skipUnless"/> or <paramref name="skipWhen"/>.</param>
    /// <param name="skipUnless">A property that must be true for the test to run.</param>
    /// <param name="skipWhen">A property that skips the test when true.</param>
    /// <param name="traits">The traits.</param>
    /// <param name="sourceFilePath">The source file.</param>
    /// <param name="sourceLineNumber">The source line.</param>
    public DeferredTestCase(
        IXunitTestMethod testMethod,
        string testCaseDisplayName,
        string uniqueID,
        bool @explicit,
        int reactorTimeout,
        Type[]? skipExceptions = null,
        string? skipReason = null,
        Type? skipType = null,
        string? skipUnless = null,
        string? skipWhen = null,
        Dictionary<string, HashSet<string>>? traits = null,
        string? sourceFilePath = null,
        int? sourceLineNumber = null)
        : base(testMethod, testCaseDisplayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen, traits, null, sourceFilePath, sourceLineNumber, timeout: 0)
    {
        ReactorTimeout = reactorTimeout;
    }

    /// <summary>How long the test's Deferred may take, in milliseconds; 0 for the class's or the default timeout.</summary>
    public int ReactorTimeout { get; private set; }

    /// <inheritdoc />
    public ValueTask<RunSummary> Run(ExplicitOption explicitOption, IMessageBus messageBus, object?[] constructorArguments, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource, ParallelMode parallelMode, ExecutionScheduler scheduler, FixtureMappingManager caseFixtureMappings) =>
        DeferredTestCaseRunner.Instance.Run(this, messageBus, aggregator, cancellationTokenSource, parallelMode, scheduler, explicitOption, constructorArguments, caseFixtureMappings);

    /// <inheritdoc />
    protected override void Serialize(IXunitSerializationInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        base.Serialize(info);
        info.AddValue("reactorTimeout", ReactorTimeout);
    }

    /// <inheritdoc />
    protected override void Deserialize(IXunitSerializationInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        base.Deserialize(info);
        ReactorTimeout = info.GetValue<int>("reactorTimeout");
    }
}
