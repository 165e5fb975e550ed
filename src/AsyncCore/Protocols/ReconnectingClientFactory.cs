namespace AsyncCore.Protocols;

/// <summary>
/// A client factory that reconnects with exponential backoff after a failed or lost connection (Twisted's
/// <c>ReconnectingClientFactory</c>), with Twisted's parameters: the delay starts at <see cref="InitialDelay"/>, is multiplied
/// by <see cref="Factor"/> (e) before each retry (so the first retry waits about e seconds), capped at
/// <see cref="MaxDelay"/>, then jittered with a normal distribution of relative deviation <see cref="Jitter"/>.
/// Call <see cref="ResetDelay"/> once a connection succeeds (typically in <c>BuildProtocol</c>).
/// </summary>
/// <remarks><c>ClientService</c> is the modern form, built on endpoints.</remarks>
public class ReconnectingClientFactory : ClientFactory
{
    private readonly IReactorTime _clock;
    private IDelayedCall? _retryCall;
    private IConnector? _connector;

    /// <summary>Creates the factory; retries are scheduled on <paramref name="clock"/>.</summary>
    public ReconnectingClientFactory(IReactorTime clock)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Delay = InitialDelay;
    }

    /// <summary>Creates the factory for <paramref name="protocolFactory"/>; retries are scheduled on <paramref name="clock"/>.</summary>
    public ReconnectingClientFactory(IReactorTime clock, Func<IProtocol> protocolFactory) : base(protocolFactory)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Delay = InitialDelay;
    }

    /// <summary>The longest delay before jitter (an hour).</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The delay after <see cref="ResetDelay"/> (a second).</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The growth factor (e).</summary>
    public double Factor { get; set; } = Math.E;

    /// <summary>The relative standard deviation of the delay (0.11962656472); 0 turns jitter off.</summary>
    public double Jitter { get; set; } = 0.11962656472;

    /// <summary>The most retries, or null for no limit.</summary>
    public int? MaxRetries { get; set; }

    /// <summary>The current delay: the one the last retry waited, or <see cref="InitialDelay"/> after a reset.</summary>
    public TimeSpan Delay { get; private set; }

    /// <summary>The retries since the last <see cref="ResetDelay"/>.</summary>
    public int Retries { get; private set; }

    /// <summary>False once <see cref="StopTrying"/> was called.</summary>
    public bool ContinueTrying { get; private set; } = true;

    /// <summary>The random source for the jitter; replace it for reproducible tests.</summary>
    public Random Random { get; set; } = Random.Shared;

    /// <inheritdoc />
    public override void ClientConnectionFailed(IConnector connector, Failure reason)
    {
        if (ContinueTrying)
        {
            _connector = connector;
            Retry();
        }
    }

    /// <inheritdoc />
    public override void ClientConnectionLost(IConnector connector, Failure reason)
    {
        if (ContinueTrying)
        {
            _connector = connector;
            Retry();
        }
    }

    /// <summary>Schedules a reconnection with the next delay.</summary>
    /// <exception cref="InvalidOperationException">No connector is known yet and none was given.</exception>
    public void Retry(IConnector? connector = null)
    {
        if (!ContinueTrying)
        {
            return;
        }
        connector ??= _connector ?? throw new InvalidOperationException("no connector to retry");
        Retries++;
        if (MaxRetries is { } max && Retries > max)
        {
            return;
        }
        // In seconds as doubles, as Twisted computes it: the product may exceed what a TimeSpan holds before the cap.
        var seconds = Math.Min(Delay.TotalSeconds * Factor, MaxDelay.TotalSeconds);
        if (Jitter != 0)
        {
            seconds = NormalVariate(seconds, seconds * Jitter);
        }
        Delay = seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(Math.Max(0, seconds));
        _retryCall = _clock.CallLater(Delay, () =>
        {
            _retryCall = null;
            connector.Connect();
        });
    }

    /// <summary>Stops reconnecting: cancels a pending retry and stops a connection attempt in progress.</summary>
    public void StopTrying()
    {
        if (_retryCall is { Active: true })
        {
            _retryCall.Cancel();
        }
        _retryCall = null;
        ContinueTrying = false;
        if (_connector is not null)
        {
            try
            {
                _connector.StopConnecting();
            }
            catch (NotConnectingException)
            {
                // Already connected or idle: nothing to stop.
            }
        }
    }

    /// <summary>Resets the delay and the retry count (call it after a successful connection).</summary>
    public void ResetDelay()
    {
        Delay = InitialDelay;
        Retries = 0;
        _retryCall = null;
        ContinueTrying = true;
    }

    private double NormalVariate(double mean, double deviation)
    {
        // Box-Muller: Python's random.normalvariate has the same distribution.
        var u1 = 1.0 - Random.NextDouble();
        var u2 = Random.NextDouble();
        return mean + (deviation * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
