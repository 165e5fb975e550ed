namespace AsyncCore.Reactor;

/// <summary>A callback that held the reactor thread longer than the stall threshold.</summary>
/// <param name="Callable">
/// The callback's declaring type and method; for an <c>await</c> that resumed on the reactor, the async method it resumed.
/// </param>
/// <param name="Kind">"thread call", "timer" or "system event trigger".</param>
/// <param name="Duration">How long it ran.</param>
public readonly record struct ReactorStall(string Callable, string Kind, TimeSpan Duration);
