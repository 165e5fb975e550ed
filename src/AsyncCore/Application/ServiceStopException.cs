namespace AsyncCore.Application;

/// <summary>One child of a <see cref="MultiService"/> that failed to stop, with its failure.</summary>
/// <param name="Service">The child.</param>
/// <param name="Failure">Why it failed.</param>
public readonly record struct ServiceStopFailure(IService Service, Failure Failure);

/// <summary>
/// One or more children of a <see cref="MultiService"/> failed to stop; every other child was still stopped.
/// <see cref="AggregateException.InnerExceptions"/> holds the failures' exceptions in the same order as
/// <see cref="Failures"/>.
/// </summary>
public sealed class ServiceStopException : AggregateException
{
    /// <summary>Creates the exception from the children's failures, in stop order.</summary>
    public ServiceStopException(IReadOnlyList<ServiceStopFailure> failures)
        : base(Describe(failures), (failures ?? throw new ArgumentNullException(nameof(failures))).Select(f => f.Failure.Value))
        => Failures = failures;

    /// <summary>Creates the exception with the default message.</summary>
    public ServiceStopException() : base("A service failed to stop.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ServiceStopException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ServiceStopException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Each child that failed to stop, with its failure, in stop order.</summary>
    public IReadOnlyList<ServiceStopFailure> Failures { get; } = [];

    private static string Describe(IReadOnlyList<ServiceStopFailure> failures) =>
        (failures.Count == 1 ? "A service failed to stop: " : $"{failures.Count} services failed to stop: ") +
        string.Join("; ", failures.Select(f => $"{f.Service}: {f.Failure.Type.Name}: {f.Failure.GetErrorMessage()}"));
}
