namespace AsyncCore.Endpoints;

/// <summary>An endpoint description string is malformed; the message says which field and why.</summary>
public class EndpointFormatException : FormatException
{
    /// <summary>Creates the exception with the default message.</summary>
    public EndpointFormatException() : base("Malformed endpoint description.") { }

    /// <summary>Creates the exception with a message.</summary>
    public EndpointFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public EndpointFormatException(string message, Exception innerException) : base(message, innerException) { }
}
