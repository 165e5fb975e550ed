using System.Net;

namespace AsyncCore.Protocols;

/// <summary>An outgoing connection, made or being made (Twisted's <c>IConnector</c>).</summary>
public interface IConnector
{
    /// <summary>The client factory the connector builds its protocol with.</summary>
    ClientFactory Factory { get; }

    /// <summary>Starts (or restarts) connecting.</summary>
    void Connect();

    /// <summary>Stops connecting, or closes the connection when it is made.</summary>
    void Disconnect();

    /// <summary>Stops a connection attempt in progress.</summary>
    /// <exception cref="NotConnectingException">The connector is not connecting.</exception>
    void StopConnecting();

    /// <summary>Where the connector connects to.</summary>
    EndPoint GetDestination();
}
