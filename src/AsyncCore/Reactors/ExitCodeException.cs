namespace AsyncCore.Reactors;

/// <summary>
/// Ends a program run by <see cref="ReactorMain.React(Func{Transports.NetworkReactorBase, Deferred})"/> with a chosen
/// exit code (Twisted's <c>SystemExit(code)</c> raised from <c>task.react</c>'s main): when main's Deferred fails with
/// it, React stops the reactor and returns <see cref="ExitCode"/>, without logging the failure as an error.
/// </summary>
/// <example>
/// <code>
/// return ReactorMain.React(async reactor =&gt;
/// {
///     if (!File.Exists(path))
///     {
///         throw new ExitCodeException(2);
///     }
///     ...
/// });
/// </code>
/// </example>
public class ExitCodeException : Exception
{
    /// <summary>Creates the exception with exit code 1.</summary>
    public ExitCodeException() : this(1)
    {
    }

    /// <summary>Creates the exception with <paramref name="exitCode"/>.</summary>
    public ExitCodeException(int exitCode) : base($"Exit with code {exitCode}.")
    {
        ExitCode = exitCode;
    }

    /// <summary>Creates the exception with <paramref name="exitCode"/> and a message.</summary>
    public ExitCodeException(int exitCode, string message) : base(message)
    {
        ExitCode = exitCode;
    }

    /// <summary>Creates the exception with exit code 1 and a message.</summary>
    public ExitCodeException(string message) : base(message)
    {
        ExitCode = 1;
    }

    /// <summary>Creates the exception with exit code 1, a message and an inner exception.</summary>
    public ExitCodeException(string message, Exception innerException) : base(message, innerException)
    {
        ExitCode = 1;
    }

    /// <summary>The exit code the program ends with.</summary>
    public int ExitCode { get; }
}
