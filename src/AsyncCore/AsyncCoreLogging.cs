using Microsoft.Extensions.Logging;

namespace AsyncCore;

/// <summary>
/// The logger factory AsyncCore writes through. By default a small standard-error logger (warnings and above), so that
/// unhandled errors are never lost; a host replaces it with its own factory, for example in <c>Program.cs</c>:
/// <code>AsyncCoreLogging.LoggerFactory = app.Services.GetRequiredService&lt;ILoggerFactory&gt;();</code>
/// </summary>
public static class AsyncCoreLogging
{
    private static ILoggerFactory s_factory = new StandardErrorLoggerFactory();
    private static ILogger? s_deferred;

    /// <summary>The factory every AsyncCore logger is created from. Setting it replaces loggers created afterwards.</summary>
    public static ILoggerFactory LoggerFactory
    {
        get => s_factory;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            s_factory = value;
            s_deferred = null;
        }
    }

    /// <summary>Creates a logger for <paramref name="category"/> from the current factory.</summary>
    public static ILogger CreateLogger(string category) => s_factory.CreateLogger(category);

    internal static ILogger Deferred => s_deferred ??= s_factory.CreateLogger("AsyncCore.Deferred");

    /// <summary>The default: warnings and errors on standard error, one line per event plus the exception.</summary>
    private sealed class StandardErrorLoggerFactory : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException(
            "The default AsyncCore logger does not take providers; assign AsyncCoreLogging.LoggerFactory instead.");

        public ILogger CreateLogger(string categoryName) => new StandardErrorLogger(categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class StandardErrorLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            var line = $"{DateTime.UtcNow:O} [{logLevel}] {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }
            Console.Error.WriteLine(line);
        }
    }
}
