namespace AsyncCore.Protocols;

/// <summary>
/// A resettable inactivity timer for a protocol (Twisted's <c>policies.TimeoutMixin</c>, as a helper object since C# has
/// no mixins): the protocol calls <see cref="ResetTimeout"/> on activity, and <c>onTimeout</c> runs after
/// <see cref="Timeout"/> without it.
/// </summary>
/// <example>
/// <code>
/// _idle = new IdleTimeout(reactor, () => Transport.LoseConnection());
/// _idle.SetTimeout(TimeSpan.FromSeconds(30));      // in ConnectionMade
/// _idle.ResetTimeout();                            // in DataReceived
/// _idle.SetTimeout(null);                          // in ConnectionLost
/// </code>
/// </example>
public sealed class IdleTimeout
{
    private readonly IReactorTime _clock;
    private readonly Action _onTimeout;
    private IDelayedCall? _call;

    /// <summary>Creates the timer; it starts only with <see cref="SetTimeout"/>.</summary>
    /// <param name="clock">The reactor (or a test <see cref="Tasks.Clock"/>).</param>
    /// <param name="onTimeout">Twisted's <c>timeoutConnection</c>; typically closes the transport.</param>
    public IdleTimeout(IReactorTime clock, Action onTimeout)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _onTimeout = onTimeout ?? throw new ArgumentNullException(nameof(onTimeout));
    }

    /// <summary>The current period, or null when the timer is off.</summary>
    public TimeSpan? Timeout { get; private set; }

    /// <summary>True while a timeout is scheduled.</summary>
    public bool Pending => _call is { Active: true };

    /// <summary>
    /// Sets the period and (re)starts the timer from now; null stops it. Returns the previous period.
    /// </summary>
    public TimeSpan? SetTimeout(TimeSpan? period)
    {
        var previous = Timeout;
        Timeout = period;
        if (_call is not null)
        {
            if (period is null)
            {
                if (_call.Active)
                {
                    _call.Cancel();
                }
                _call = null;
            }
            else if (_call.Active)
            {
                _call.Reset(period.Value);
            }
            else
            {
                _call = _clock.CallLater(period.Value, TimedOut);
            }
        }
        else if (period is not null)
        {
            _call = _clock.CallLater(period.Value, TimedOut);
        }
        return previous;
    }

    /// <summary>Restarts the countdown (call it whenever there is activity).</summary>
    public void ResetTimeout()
    {
        if (Timeout is { } period && _call is { Active: true })
        {
            _call.Reset(period);
        }
    }

    private void TimedOut()
    {
        _call = null;
        _onTimeout();
    }
}
