using System.Net;
using AsyncCore.Protocols;

namespace AsyncCore.Endpoints;

/// <summary>
/// The client factory behind a client endpoint's <c>Connect</c> (Twisted's <c>_WrappingFactory</c>): it builds the user's
/// protocol through the user's factory and fires <see cref="Result"/> once that protocol's connection is made.
/// </summary>
internal sealed class EndpointClientFactory : ClientFactory
{
    private readonly Factory _wrapped;

    public EndpointClientFactory(Factory wrapped, EndPoint? destination)
    {
        _wrapped = wrapped ?? throw new ArgumentNullException(nameof(wrapped));
        Noisy = false;
        Result = new Deferred<IProtocol>(d =>
        {
            try
            {
                Connector?.StopConnecting();
            }
            catch (NotConnectingException)
            {
                // The connection is made already or failed; the Deferred fires on its own.
            }
            if (!d.Called)
            {
                d.Errback(new ConnectingCancelledException(destination));
            }
        });
    }

    public Deferred<IProtocol> Result { get; }

    public IConnector? Connector { get; set; }

    public override IProtocol? BuildProtocol(EndPoint? address)
    {
        IProtocol? inner;
        try
        {
            inner = _wrapped.BuildProtocol(address);
        }
        catch (Exception e)
        {
            Fail(new Failure(e));
            return null;
        }
        if (inner is null)
        {
            Fail(new Failure(new NoProtocolException()));
            return null;
        }
        return inner is IHalfCloseableProtocol ? new HalfCloseableNotifier(inner, this) : new Notifier(inner, this);
    }

    public override void ClientConnectionFailed(IConnector connector, Failure reason) => Fail(reason);

    protected override void StartFactory() => _wrapped.DoStart();

    protected override void StopFactory() => _wrapped.DoStop();

    private void Fail(Failure reason)
    {
        if (!Result.Called)
        {
            Result.Errback(reason);
        }
    }

    internal void Connected(IProtocol protocol)
    {
        if (!Result.Called)
        {
            Result.Callback(protocol);
        }
    }

    /// <summary>Passes everything to the user's protocol and reports the connection once it is made.</summary>
    private class Notifier(IProtocol inner, EndpointClientFactory factory) : IProtocol
    {
        protected IProtocol Inner { get; } = inner;

        public void MakeConnection(ITransport transport)
        {
            Inner.MakeConnection(transport);
            factory.Connected(Inner);
        }

        public void ConnectionMade()
        {
        }

        public void DataReceived(ReadOnlySpan<byte> data) => Inner.DataReceived(data);

        public void ConnectionLost(Failure reason) => Inner.ConnectionLost(reason);
    }

    private sealed class HalfCloseableNotifier(IProtocol inner, EndpointClientFactory factory) : Notifier(inner, factory), IHalfCloseableProtocol
    {
        public void ReadConnectionLost() => ((IHalfCloseableProtocol)Inner).ReadConnectionLost();

        public void WriteConnectionLost() => ((IHalfCloseableProtocol)Inner).WriteConnectionLost();
    }
}
