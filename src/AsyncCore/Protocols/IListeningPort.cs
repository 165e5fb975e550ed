using System.Net;

namespace AsyncCore.Protocols;

/// <summary>A listening socket (Twisted's <c>IListeningPort</c>).</summary>
public interface IListeningPort
{
    /// <summary>Stops accepting connections; the Deferred fires (with null) once the socket is closed and the factory stopped.</summary>
    Deferred<object?> StopListening();

    /// <summary>The bound address; after binding port 0, it carries the port the system picked.</summary>
    EndPoint GetHost();
}
