using Microsoft.Extensions.Logging;

namespace AsyncCore.Testing;

/// <summary>
/// A logger factory (and provider) that keeps every entry, for asserting on what AsyncCore or the code under test
/// logged. Give it where a factory is taken (<c>ReactorOptions.LoggerFactory</c>, an <see cref="UnhandledFailureTracker"/>,
/// a service), or make it the process-wide default for a while with <see cref="InstallAsDefault"/>.
/// </summary>
/// <remarks>Thread-safe: entries may arrive from a reactor thread, pool threads or the finalizer thread.</remarks>
public sealed class LogCapture : ILoggerFactory, ILoggerProvider
{
    private readonly List<LogEntry> _entries = [];

    /// <summary>A copy of the entries so far, oldest first.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    /// <summary>
    /// The entries whose message or exception text contains <paramref name="marker"/> (ordinal), to tell a test's own
    /// entries from those other code logged meanwhile.
    /// </summary>
    public IReadOnlyList<LogEntry> With(string marker)
    {
        ArgumentNullException.ThrowIfNull(marker);
        return Entries.Where(e => e.Message.Contains(marker, StringComparison.Ordinal)
            || (e.Exception?.ToString().Contains(marker, StringComparison.Ordinal) ?? false)).ToArray();
    }

    /// <summary>Forgets the entries so far.</summary>
    public void Clear()
    {
        lock (_entries)
        {
            _entries.Clear();
        }
    }

    /// <summary>
    /// Makes this the process-wide <see cref="AsyncCoreLogging.LoggerFactory"/> until the returned object is disposed,
    /// when the previous factory is restored. Process-wide: a test doing this must not run in parallel with others that
    /// log through the default factory (put it in a non-parallel xunit collection).
    /// </summary>
    public IDisposable InstallAsDefault()
    {
        var previous = AsyncCoreLogging.LoggerFactory;
        AsyncCoreLogging.LoggerFactory = this;
        return new Restore(previous);
    }

    /// <summary>A logger writing to this capture under <paramref name="categoryName"/>.</summary>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Ignored: the capture is the only provider (so that it also works as a provider given to a factory).</summary>
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <summary>Nothing to release; the entries stay readable.</summary>
    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }

    private sealed class Restore(ILoggerFactory previous) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (!_done)
            {
                _done = true;
                AsyncCoreLogging.LoggerFactory = previous;
            }
        }
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            capture.Add(new LogEntry(category, logLevel, formatter(state, exception), exception));
        }
    }
}

/// <summary>One entry kept by <see cref="LogCapture"/>.</summary>
/// <param name="Category">The logger's category.</param>
/// <param name="Level">The level.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Exception">The exception attached, if any.</param>
public sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);
