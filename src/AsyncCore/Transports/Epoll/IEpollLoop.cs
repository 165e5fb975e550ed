using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Transports.Epoll;

/// <summary>
/// What a readiness transport needs from the epoll reactor. The reactor is a concrete reactor (in
/// <c>AsyncCore.Reactors</c>, above the network layer): the transport sees it through this interface so that the
/// dependency points one way.
/// </summary>
internal interface IEpollLoop
{
    /// <summary>The receive buffer every readiness transport of this reactor shares (callbacks run one at a time).</summary>
    byte[] ReadBuffer { get; }

    /// <summary>The reactor's logger.</summary>
    ILogger Logger { get; }

    /// <summary>Registers <paramref name="socket"/> for <paramref name="events"/>; returns its token.</summary>
    int Register(Socket socket, IEpollHandler handler, uint events);

    /// <summary>Changes the events <paramref name="socket"/> waits for.</summary>
    void Modify(Socket socket, int token, uint events);

    /// <summary>Unregisters <paramref name="socket"/> and frees its token.</summary>
    void Unregister(Socket socket, int token);

    /// <summary>Remembers a transport with data to send; it is flushed before the reactor waits again.</summary>
    void MarkDirty(EpollTransport transport);

    /// <summary>Runs <paramref name="callback"/> on the reactor thread at its next pass (thread-safe).</summary>
    void CallFromThread(Action<object?> callback, object? state);
}
