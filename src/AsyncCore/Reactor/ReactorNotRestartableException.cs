namespace AsyncCore.Reactor;

/// <summary><c>Run</c> was called on a reactor that was stopped: a reactor runs once (create a new one instead).</summary>
public sealed class ReactorNotRestartableException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public ReactorNotRestartableException() : base("The reactor was stopped and cannot be restarted; create a new one.") { }

    /// <summary>Creates the exception with a message.</summary>
    public ReactorNotRestartableException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ReactorNotRestartableException(string message, Exception innerException) : base(message, innerException) { }
}
