namespace AsyncCore.Testing;

/// <summary>
/// Installs a test's <see cref="UnhandledFailureTracker"/> on every thread the test's async flow runs on. The tracker
/// itself is thread-static; an async test resumes on thread-pool threads, so the harness keeps the tracker in an
/// <see cref="AsyncLocal{T}"/> whose change notification (raised whenever the execution context moves onto or off a
/// thread) installs or removes it on that thread.
/// </summary>
internal static class TrackerFlow
{
    private static readonly AsyncLocal<UnhandledFailureTracker?> s_flowing = new(OnChanged);

    [ThreadStatic]
    private static UnhandledFailureTracker? t_installed;

    [ThreadStatic]
    private static IDisposable? t_installation;

    /// <summary>The tracker flowing with the current async flow, if any.</summary>
    public static UnhandledFailureTracker? Current => s_flowing.Value;

    /// <summary>Makes <paramref name="tracker"/> flow with the caller's async flow (null stops it).</summary>
    public static void Set(UnhandledFailureTracker? tracker) => s_flowing.Value = tracker;

    private static void OnChanged(AsyncLocalValueChangedArgs<UnhandledFailureTracker?> args)
    {
        if (ReferenceEquals(args.CurrentValue, t_installed))
        {
            return;
        }
        t_installation?.Dispose();
        t_installation = null;
        t_installed = null;
        if (args.CurrentValue is { } tracker)
        {
            t_installation = tracker.Install();
            t_installed = tracker;
        }
    }
}
