using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Application;

/// <summary>
/// A service that listens on a server endpoint while it runs (Twisted's <c>StreamServerEndpointService</c>): it listens
/// in <see cref="PrivilegedStartService"/> (so a port below 1024 can be bound before privileges are shed) and stops
/// listening in <see cref="StopService"/>. <see cref="Strports.Service"/> builds one from an endpoint string.
/// </summary>
public class StreamServerEndpointService : Service
{
    private static readonly ILogger s_logger = AsyncCoreLogging.CreateLogger("AsyncCore.Application");

    private readonly List<Deferred<IListeningPort>> _portWaiters = [];
    private Deferred<IListeningPort>? _listening;
    private Deferred<object?>? _listened;
    private Failure? _listenFailure;

    /// <summary>Creates the service; nothing listens until it starts.</summary>
    /// <param name="endpoint">Where to listen.</param>
    /// <param name="factory">Builds the protocol of each accepted connection.</param>
    public StreamServerEndpointService(IStreamServerEndpoint endpoint, Factory factory)
    {
        ServerEndpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        Factory = factory ?? throw new ArgumentNullException(nameof(factory));
    }

    /// <summary>Where the service listens. (Not called <c>Endpoint</c>: in a derived class that name would hide the
    /// <see cref="Endpoints.Endpoint"/> class and its <c>ServerFromString</c>.)</summary>
    public IStreamServerEndpoint ServerEndpoint { get; }

    /// <summary>The factory given to the endpoint.</summary>
    public Factory Factory { get; }

    /// <summary>
    /// When true, a listen that fails at once (the port is taken, say) makes the next <see cref="PrivilegedStartService"/>
    /// or <see cref="StartService"/> throw the failure, so the application does not start (Twisted's
    /// <c>_raiseSynchronously</c>, set by <c>strports.service</c>). Otherwise, and for a listen that fails later, the
    /// failure is logged and handed to <see cref="WhenListening"/>. It applies to the first start only.
    /// </summary>
    public bool RaiseSynchronously { get; set; }

    /// <summary>The listening port while the service listens, else null.</summary>
    public IListeningPort? Port { get; private set; }

    /// <summary>
    /// The listening port: fires once the endpoint listens (at once if it already does), or fails with the listen's
    /// failure (a <see cref="CancelledException"/> when the service stopped before listening). Each call returns a new
    /// Deferred; calls before the service starts wait for the start.
    /// </summary>
    public Deferred<IListeningPort> WhenListening()
    {
        if (Port is { } port)
        {
            return Deferred.Succeed(port);
        }
        if (_listenFailure is { } failure)
        {
            return Deferred.Fail<IListeningPort>(failure);
        }
        var waiter = new Deferred<IListeningPort>(d => _portWaiters.Remove(d));
        _portWaiters.Add(waiter);
        return waiter;
    }

    /// <summary>Starts listening on the endpoint.</summary>
    /// <exception cref="Exception">With <see cref="RaiseSynchronously"/>, the listen's failure when it failed at once.</exception>
    public override void PrivilegedStartService()
    {
        base.PrivilegedStartService();
        _listenFailure = null;
        var listening = _listening = ServerEndpoint.Listen(Factory);
        var inCall = true;
        Failure? raiseNow = null;
        _listened = listening.AddCallbacks<object?>(port =>
        {
            Port = port;
            foreach (var waiter in TakeWaiters())
            {
                waiter.Callback(port);
            }
            return (object?)null;
        }, failure =>
        {
            _listenFailure = failure;
            if (RaiseSynchronously && inCall)
            {
                raiseNow = failure;
            }
            else if (!failure.Check<CancelledException>())
            {
                s_logger.LogError(failure.Value, "{Service} could not listen", this);
            }
            foreach (var waiter in TakeWaiters())
            {
                waiter.Errback(failure);
            }
            return (object?)null;
        });
        inCall = false;
        RaiseSynchronously = false;
        raiseNow?.ThrowException();
    }

    /// <summary>Marks the service running and listens, unless <see cref="PrivilegedStartService"/> already did.</summary>
    public override void StartService()
    {
        base.StartService();
        if (_listening is null)
        {
            PrivilegedStartService();
        }
    }

    /// <summary>
    /// Stops listening, or cancels a listen still in progress (a failure of that cancel other than
    /// <see cref="CancelledException"/> is logged).
    /// </summary>
    /// <returns>A Deferred that fires with null once the port is closed; <see cref="IService.Running"/> is false from then.</returns>
    public override Deferred<object?> StopService()
    {
        var listening = _listening;
        var listened = _listened;
        _listening = null;
        _listened = null;
        if (listening is null || listened is null)
        {
            _ = base.StopService();
            return Deferred.Succeed<object?>(null);
        }
        listening.Cancel();
        return listened.AddCallback<object?>(_ =>
        {
            var port = Port;
            Port = null;
            return port is null ? Deferred.Succeed<object?>(null) : port.StopListening();
        }).AddFinally(() => base.StopService());
    }

    private List<Deferred<IListeningPort>> TakeWaiters()
    {
        var waiters = _portWaiters.ToList();
        _portWaiters.Clear();
        return waiters;
    }
}
