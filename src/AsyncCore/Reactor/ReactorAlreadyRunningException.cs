namespace AsyncCore.Reactor;

/// <summary><c>Run</c> was called on a reactor that is already running.</summary>
public sealed class ReactorAlreadyRunningException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ReactorAlreadyRunningException() : base("The reactor is already running.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ReactorAlreadyRunningException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ReactorAlreadyRunningException(string message, Exception innerException) : base(message, innerException) { }
}
