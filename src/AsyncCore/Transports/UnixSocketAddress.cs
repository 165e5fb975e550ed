using System.Net;
using System.Net.Sockets;

namespace AsyncCore.Transports;

/// <summary>
/// The socket address of a UNIX socket path. A path too long for <c>sockaddr_un</c> (108 bytes on Linux) makes
/// <see cref="UnixDomainSocketEndPoint"/>'s constructor throw; listening and connecting report it as their own failure
/// (<see cref="Protocols.CannotListenException"/>, a failed connection) instead.
/// </summary>
internal static class UnixSocketAddress
{
    /// <summary>The address of <paramref name="path"/>, or null with the reason in <paramref name="error"/>.</summary>
    public static UnixDomainSocketEndPoint? TryCreate(string path, out string? error)
    {
        try
        {
            error = null;
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentOutOfRangeException)
        {
            error = $"the UNIX socket path is too long for a socket address ({System.Text.Encoding.UTF8.GetByteCount(path)} bytes; at most 107 on Linux): {path}";
            return null;
        }
        catch (ArgumentException e)
        {
            error = $"'{path}' is not a valid UNIX socket path: {e.Message}";
            return null;
        }
    }

    /// <summary>An address to name <paramref name="path"/> in results and messages, even when it cannot be a socket address.</summary>
    public static EndPoint ForDisplay(string path) => (EndPoint?)TryCreate(path, out _) ?? new PathEndPoint(path);

    /// <summary>A UNIX socket path that cannot be a socket address, kept for messages and <c>GetDestination</c>.</summary>
    private sealed class PathEndPoint(string path) : EndPoint
    {
        public override AddressFamily AddressFamily => AddressFamily.Unix;

        public override string ToString() => path;
    }
}
