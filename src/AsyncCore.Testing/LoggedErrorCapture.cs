using Microsoft.Extensions.Logging;

namespace AsyncCore.Testing;

/// <summary>
/// The logger factory a test's code logs to (the test's async flow, and its real reactor's thread): it passes every
/// entry on to <see cref="AsyncCoreLogging.LoggerFactory"/>, as before, and hands each error logged with an exception
/// to the test's janitor, which fails the test with it unless the test flushes it (trial's logged errors).
/// </summary>
/// <remarks>
/// An entry counts when it is <see cref="LogLevel.Error"/> or above and carries an exception: the counterpart of
/// Twisted's <c>log.err</c>/<c>log.failure</c> with a Failure. The Deferred layer's reports of unhandled failures are left
/// out: the janitor's trackers report those themselves.
/// </remarks>
internal sealed class LoggedErrorCapture(Action<LoggedError> onError) : ILoggerFactory
{
    private readonly Action<LoggedError> _onError = onError;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException(
        "A test's logger factory passes entries on to AsyncCoreLogging.LoggerFactory; add providers there.");

    public void Dispose()
    {
    }

    private static bool Counts(string category, LogLevel level, Exception? exception) =>
        exception is not null && level is >= LogLevel.Error and < LogLevel.None
        && !(level == LogLevel.Critical && category == "AsyncCore.Deferred");

    private sealed class Logger(LoggedErrorCapture capture, string category) : ILogger
    {
        // The process-wide factory, followed at each call: this factory's own entries must not come back to it.
        private readonly ILogger _target = AsyncCoreLogging.CreateProcessWideLogger(category);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => _target.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Error and < LogLevel.None || _target.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (Counts(category, logLevel, exception))
            {
                capture._onError(new LoggedError(category, formatter(state, exception), exception!));
            }
            if (_target.IsEnabled(logLevel))
            {
                _target.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
