using System.Net;
using AsyncCore.Protocols;

namespace AsyncCore.Endpoints;

/// <summary>
/// Keeps one client connection alive (Twisted's <c>application.internet.ClientService</c>, the modern form of
/// <see cref="ReconnectingClientFactory"/>): connects through an endpoint, reconnects after a failure or a loss after the
/// delay the retry policy gives, and hands the connected protocol to whoever asks with <see cref="WhenConnected"/>.
/// </summary>
/// <remarks>Use it on the reactor thread. It has Twisted's service methods (<see cref="StartService"/>,
/// <see cref="StopService"/>) so that a service container can drive it.</remarks>
public sealed class ClientService
{
    private readonly IStreamClientEndpoint _endpoint;
    private readonly Factory _factory;
    private readonly Func<int, TimeSpan> _retryPolicy;
    private readonly IReactorTime _clock;
    private readonly Func<IProtocol, Deferred<object?>?>? _prepareConnection;
    private readonly List<(Deferred<IProtocol> Deferred, int? FailAfter)> _waiting = [];
    private Deferred<IProtocol>? _connecting;
    private IDelayedCall? _retryCall;
    private IProtocol? _current;
    private ITransport? _currentTransport;
    private Deferred<object?>? _stopped;
    private int _failedAttempts;

    /// <summary>Creates the service; nothing happens until <see cref="StartService"/>.</summary>
    /// <param name="endpoint">Where to connect.</param>
    /// <param name="factory">Builds the protocol of each connection.</param>
    /// <param name="clock">The reactor's clock, for the retry delays.</param>
    /// <param name="retryPolicy">The delay before attempt N+1 after N failures; <see cref="BackoffPolicy"/>() by default.</param>
    /// <param name="prepareConnection">Runs on each new connection before <see cref="WhenConnected"/> hands it out (a login,
    /// say); its failure counts as a failed attempt and drops the connection.</param>
    public ClientService(IStreamClientEndpoint endpoint, Factory factory, IReactorTime clock, Func<int, TimeSpan>? retryPolicy = null,
        Func<IProtocol, Deferred<object?>?>? prepareConnection = null)
    {
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _retryPolicy = retryPolicy ?? BackoffPolicy();
        _prepareConnection = prepareConnection;
    }

    /// <summary>True between <see cref="StartService"/> and <see cref="StopService"/>.</summary>
    public bool Running { get; private set; }

    /// <summary>
    /// Twisted's <c>backoffPolicy</c>: attempt N waits <c>min(initialDelay * factor^min(100, N), maxDelay) + jitter()</c>
    /// (jitter is added after the cap).
    /// </summary>
    /// <param name="initialDelay">The delay before the first retry; null means a second (Twisted's default).</param>
    /// <param name="maxDelay">The cap before jitter; null means a minute (Twisted's default).</param>
    /// <param name="factor">The growth of the delay per failed attempt.</param>
    /// <param name="jitter">Added to each delay; null means a uniform random value in [0, 1) second.</param>
    public static Func<int, TimeSpan> BackoffPolicy(TimeSpan? initialDelay = null, TimeSpan? maxDelay = null, double factor = 1.5,
        Func<TimeSpan>? jitter = null)
    {
        var initial = (initialDelay ?? TimeSpan.FromSeconds(1)).TotalSeconds;
        var max = (maxDelay ?? TimeSpan.FromMinutes(1)).TotalSeconds;
        jitter ??= static () => TimeSpan.FromSeconds(Random.Shared.NextDouble());
        return attempt =>
        {
            // In seconds as doubles, as Twisted computes it: the power may overflow long before the cap applies.
            var delay = Math.Min(initial * Math.Pow(factor, Math.Min(100, attempt)), max);
            if (double.IsInfinity(delay) || double.IsNaN(delay))
            {
                delay = max;
            }
            return TimeSpan.FromSeconds(delay) + jitter();
        };
    }

    /// <summary>Starts connecting. A second call while running is ignored, as in Twisted.</summary>
    public void StartService()
    {
        if (Running)
        {
            return;
        }
        Running = true;
        _stopped = null;
        _failedAttempts = 0;
        Connect();
    }

    /// <summary>
    /// Stops retrying and closes the connection; the Deferred fires (with null) once it is closed. Pending
    /// <see cref="WhenConnected"/> calls fail with <see cref="CancelledException"/>.
    /// </summary>
    public Deferred<object?> StopService()
    {
        if (!Running)
        {
            return _stopped ?? Deferred.Succeed<object?>(null);
        }
        Running = false;
        if (_retryCall is { Active: true })
        {
            _retryCall.Cancel();
        }
        _retryCall = null;
        _connecting?.Cancel();
        _connecting = null;
        FailWaiting(() => new CancelledException("The ClientService was stopped."), onlyCountingFailures: false);
        _stopped = new Deferred<object?>();
        if (_currentTransport is { } transport)
        {
            transport.LoseConnection();
        }
        else
        {
            _stopped.Callback(null);
        }
        return _stopped;
    }

    /// <summary>
    /// The connected protocol now, or the next one. With <paramref name="failAfterFailures"/>, fails after that many
    /// consecutive failed attempts (counting from this call's time, as in Twisted).
    /// </summary>
    public Deferred<IProtocol> WhenConnected(int? failAfterFailures = null)
    {
        if (_current is not null)
        {
            return Deferred.Succeed(_current);
        }
        if (!Running)
        {
            return Deferred.Fail<IProtocol>(new CancelledException("The ClientService is not running."));
        }
        var d = new Deferred<IProtocol>();
        _waiting.Add((d, failAfterFailures is { } n ? _failedAttempts + n : null));
        return d;
    }

    private void Connect()
    {
        _retryCall = null;
        var connecting = _endpoint.Connect(new WrappingFactoryFor(this));
        _connecting = connecting;
        connecting.AddCallbacks<object?>(protocol =>
        {
            _connecting = null;
            Prepare(protocol);
            return (object?)null;
        }, failure =>
        {
            if (_connecting == connecting)
            {
                _connecting = null;
                AttemptFailed(failure);
            }
            return (object?)null;
        });
    }

    private void Prepare(IProtocol wrapper)
    {
        var inner = ((ILossNotifier)wrapper).Inner;
        var transport = ((ILossNotifier)wrapper).Transport;
        var preparing = _prepareConnection?.Invoke(inner);
        if (preparing is null)
        {
            Connected(inner, transport);
            return;
        }
        preparing.AddCallbacks<object?>(_ =>
        {
            Connected(inner, transport);
            return (object?)null;
        }, failure =>
        {
            transport.LoseConnection();
            return (object?)null;
        });
    }

    private void Connected(IProtocol protocol, ITransport transport)
    {
        if (!Running)
        {
            transport.LoseConnection();
            return;
        }
        _failedAttempts = 0;
        _current = protocol;
        _currentTransport = transport;
        foreach (var (deferred, _) in _waiting.ToArray())
        {
            deferred.Callback(protocol);
        }
        _waiting.Clear();
    }

    private void AttemptFailed(Failure failure)
    {
        _failedAttempts++;
        var error = failure.Value;
        FailWaiting(() => error, onlyCountingFailures: true);
        ScheduleRetry();
    }

    private void ConnectionLost(bool wasConnected)
    {
        _current = null;
        _currentTransport = null;
        if (!Running)
        {
            if (_stopped is { Called: false })
            {
                _stopped.Callback(null);
            }
            return;
        }
        if (!wasConnected)
        {
            // Lost during prepareConnection: a failed attempt.
            _failedAttempts++;
            FailWaiting(() => new ConnectionLostException("The connection was lost before it was ready."), onlyCountingFailures: true);
        }
        ScheduleRetry();
    }

    private void ScheduleRetry()
    {
        if (Running)
        {
            _retryCall = _clock.CallLater(_retryPolicy(_failedAttempts), Connect);
        }
    }

    private void FailWaiting(Func<Exception> error, bool onlyCountingFailures)
    {
        foreach (var entry in _waiting.ToArray())
        {
            if (!onlyCountingFailures || (entry.FailAfter is { } limit && _failedAttempts >= limit))
            {
                _waiting.Remove(entry);
                entry.Deferred.Errback(error());
            }
        }
    }

    private interface ILossNotifier
    {
        IProtocol Inner { get; }

        ITransport Transport { get; }
    }

    private sealed class WrappingFactoryFor(ClientService service) : Factory
    {
        public override IProtocol? BuildProtocol(EndPoint? address)
        {
            var inner = service._factory.BuildProtocol(address);
            return inner switch
            {
                null => null,
                IHalfCloseableProtocol => new HalfCloseableNotifier(service, inner),
                _ => new Notifier(service, inner),
            };
        }

        protected override void StartFactory() => service._factory.DoStart();

        protected override void StopFactory() => service._factory.DoStop();
    }

    /// <summary>Passes everything to the real protocol and tells the service when the connection ends.</summary>
    private class Notifier(ClientService service, IProtocol inner) : IProtocol, ILossNotifier
    {
        public IProtocol Inner => inner;

        public ITransport Transport { get; private set; } = null!;

        public void MakeConnection(ITransport transport)
        {
            Transport = transport;
            inner.MakeConnection(transport);
        }

        public void ConnectionMade()
        {
        }

        public void DataReceived(ReadOnlySpan<byte> data) => inner.DataReceived(data);

        public void ConnectionLost(Failure reason)
        {
            var wasCurrent = ReferenceEquals(service._current, inner);
            inner.ConnectionLost(reason);
            service.ConnectionLost(wasCurrent);
        }
    }

    private sealed class HalfCloseableNotifier(ClientService service, IProtocol inner) : Notifier(service, inner), IHalfCloseableProtocol
    {
        public void ReadConnectionLost() => ((IHalfCloseableProtocol)Inner).ReadConnectionLost();

        public void WriteConnectionLost() => ((IHalfCloseableProtocol)Inner).WriteConnectionLost();
    }
}
