using Microsoft.Extensions.Logging;

namespace AsyncCore.Tests.Deferreds;

/// <summary>
/// A logger factory that records every event, installed as <see cref="AsyncCoreLogging.LoggerFactory"/> for the
/// lifetime of the object and restored on dispose.
/// </summary>
internal sealed class TestLogSink : ILoggerFactory
{
    private readonly ILoggerFactory _previous;
    private readonly List<LogEntry> _entries = [];

    public TestLogSink()
    {
        _previous = AsyncCoreLogging.LoggerFactory;
        AsyncCoreLogging.LoggerFactory = this;
    }

    /// <summary>A copy of the events so far (they may arrive from the finalizer thread).</summary>
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

    /// <summary>The events whose text contains <paramref name="marker"/>, to ignore reports left by other tests.</summary>
    public IReadOnlyList<LogEntry> With(string marker) =>
        Entries.Where(e => e.Message.Contains(marker, StringComparison.Ordinal) || (e.Exception?.ToString().Contains(marker, StringComparison.Ordinal) ?? false)).ToArray();

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() => AsyncCoreLogging.LoggerFactory = _previous;

    internal sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class Logger(TestLogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (sink._entries)
            {
                sink._entries.Add(new LogEntry(category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}
