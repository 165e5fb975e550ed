using AsyncCore.Protocols;
using AsyncCore.Tasks;

namespace AsyncCore.InMemory;

/// <summary>
/// Moves bytes between the two ends of an in-memory connection (Twisted's <c>iosim.IOPump</c>). Nothing moves until
/// <see cref="Pump"/> or <see cref="Flush"/> is called, unless <see cref="AutoFlush"/> is on.
/// </summary>
public sealed class IOPump
{
    private readonly Clock? _clock;
    private readonly Deferred<object?> _bothDisconnected = new();
    private bool _pumping;
    private bool _again;

    internal IOPump(IProtocol client, IProtocol server, FakeTransport clientTransport, FakeTransport serverTransport, Clock? clock)
    {
        Client = client;
        Server = server;
        ClientTransport = clientTransport;
        ServerTransport = serverTransport;
        _clock = clock;
        clientTransport.Pump = this;
        serverTransport.Pump = this;
    }

    /// <summary>The client protocol.</summary>
    public IProtocol Client { get; }

    /// <summary>The server protocol.</summary>
    public IProtocol Server { get; }

    /// <summary>The client's transport.</summary>
    public FakeTransport ClientTransport { get; }

    /// <summary>The server's transport.</summary>
    public FakeTransport ServerTransport { get; }

    /// <summary>When true, every write, close or resume flushes at once (re-entrant calls are folded into the running flush).</summary>
    public bool AutoFlush { get; set; }

    /// <summary>Fires (with null) once both ends were told the connection is lost.</summary>
    public Deferred<object?> WhenDisconnected => _bothDisconnected;

    /// <summary>
    /// Does one pass: advances the clock by zero (running due calls), moves what each side has written to the other, closes
    /// ends that asked to close, and asks producers for more. Returns true when anything happened.
    /// </summary>
    public bool Pump()
    {
        _clock?.Advance(TimeSpan.Zero);
        var moved = Move(ClientTransport, ServerTransport);
        moved |= Move(ServerTransport, ClientTransport);
        moved |= CheckClose();
        if (!ClientTransport.Disconnected)
        {
            moved |= ClientTransport.AfterDrain();
        }
        if (!ServerTransport.Disconnected)
        {
            moved |= ServerTransport.AfterDrain();
        }
        return moved;
    }

    /// <summary>Pumps until nothing moves any more. Returns true when anything happened.</summary>
    public bool Flush()
    {
        if (_pumping)
        {
            _again = true;
            return false;
        }
        _pumping = true;
        var any = false;
        try
        {
            // A pull producer writes on every pass, so cap the passes per flush for a producer that never ends.
            for (var i = 0; i < 1_000_000; i++)
            {
                _again = false;
                if (!Pump() && !_again)
                {
                    break;
                }
                any = true;
            }
        }
        finally
        {
            _pumping = false;
        }
        return any;
    }

    internal void Schedule()
    {
        if (_pumping)
        {
            _again = true;
        }
        else if (AutoFlush)
        {
            Flush();
        }
    }

    private static bool Move(FakeTransport from, FakeTransport to)
    {
        var moved = false;
        if (to.Disconnected)
        {
            // Bytes written towards a closed end are lost, as on a socket whose peer has gone.
            while (from.TryTakeChunk(out _))
            {
                moved = true;
            }
            return moved;
        }
        while (!to.ReadPaused && !to.Disconnected && from.TryTakeChunk(out var chunk))
        {
            to.Protocol.DataReceived(chunk);
            moved = true;
        }
        if (from.WriteClosed && !from.EndOfStreamSent && from.BufferedBytes == 0 && !to.Disconnected && !to.ReadPaused)
        {
            from.EndOfStreamSent = true;
            moved = true;
            if (to.WriteClosed)
            {
                // Both directions are finished: a clean close, as the socket transports do.
                to.LoseConnection();
            }
            else if (to.Protocol is IHalfCloseableProtocol halfCloseable)
            {
                (from.Protocol as IHalfCloseableProtocol)?.WriteConnectionLost();
                halfCloseable.ReadConnectionLost();
            }
            else
            {
                // A protocol that does not handle half-close sees end of stream as a clean close, as on TCP.
                to.LoseConnection();
            }
        }
        return moved;
    }

    private bool CheckClose()
    {
        if (ClientTransport.Disconnected && ServerTransport.Disconnected)
        {
            return false;
        }
        FakeTransport? closing = ClientTransport.ReadyToClose && !ClientTransport.Disconnected ? ClientTransport
            : ServerTransport.ReadyToClose && !ServerTransport.Disconnected ? ServerTransport
            : null;
        if (closing is null)
        {
            return false;
        }
        var other = closing == ClientTransport ? ServerTransport : ClientTransport;
        if (closing.AbortReason is { } reason)
        {
            // Closed by the protocol with a reason: an orderly close, as Twisted makes for a reason returned from dataReceived.
            closing.Lose(new Failure(reason));
            other.Lose(new Failure(new ConnectionDoneException()));
        }
        else if (closing.Aborted)
        {
            closing.Lose(new Failure(new ConnectionAbortedException()));
            other.Lose(new Failure(new ConnectionLostException("Connection reset by peer.")));
        }
        else
        {
            // Deliver what the other side still has queued for the closing side? No: the closing side stops reading, as a
            // socket does after close; the other side sees a clean end of stream.
            closing.Lose(new Failure(new ConnectionDoneException()));
            if (other.Disconnected || other.Disconnecting || other.WriteClosed)
            {
                // Closing too, or done writing already: with this end gone both directions are finished, as a socket
                // closes cleanly when end of stream arrives after its own write side was shut down.
                other.Lose(new Failure(new ConnectionDoneException()));
            }
            else if (closing.EndOfStreamSent)
            {
                // The peer already saw the end of the stream (a half-close before this close): it closes when it
                // chooses, as on TCP.
            }
            else if (other.Protocol is IHalfCloseableProtocol halfCloseable)
            {
                // As on TCP, a peer that handles half-close sees only the end of the stream (it cannot tell a close from
                // a half-close), and closes when it chooses.
                closing.EndOfStreamSent = true;
                halfCloseable.ReadConnectionLost();
            }
            else
            {
                other.Lose(new Failure(new ConnectionDoneException()));
            }
        }
        if (ClientTransport.Disconnected && ServerTransport.Disconnected && !_bothDisconnected.Called)
        {
            _bothDisconnected.Callback(null);
        }
        return true;
    }
}
