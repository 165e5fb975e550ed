namespace AsyncCore.Testing;

/// <summary>An error logged with an exception while a test ran (see <see cref="LoggedErrorCapture"/>).</summary>
internal sealed record LoggedError(string Category, string Message, Exception Exception);
