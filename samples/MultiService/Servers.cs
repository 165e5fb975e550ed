using System.Text;
using AsyncCore.Application;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace MultiService;

/// <summary>The two servers of the application, the same whichever way it runs.</summary>
public static class Servers
{
    /// <summary>The default ports (seed 003).</summary>
    public const int DefaultEchoPort = 8082, DefaultLinePort = 8083;

    /// <summary>Adds the echo server and the line server to <paramref name="parent"/>.</summary>
    public static void AddTo(IServiceParent parent, INetworkReactor reactor, int echoPort, int linePort)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var echo = Strports.Service($"tcp:{echoPort}", Factory.ForProtocol(() => new Echo()), reactor);
        echo.Name = "echo";
        echo.SetServiceParent(parent);
        var lines = Strports.Service($"tcp:{linePort}", Factory.ForProtocol(() => new Shout()), reactor);
        lines.Name = "lines";
        lines.SetServiceParent(parent);
    }
}

/// <summary>Sends back every byte it receives.</summary>
public sealed class Echo : Protocol
{
    /// <inheritdoc />
    public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
}

/// <summary>A line-based server: answers each line in upper case; <c>quit</c> closes the connection.</summary>
public sealed class Shout : LineReceiver
{
    /// <inheritdoc />
    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
        var text = Encoding.UTF8.GetString(line);
        if (text == "quit")
        {
            SendLine("bye"u8);
            Transport.LoseConnection();
            return;
        }
        SendLine(Encoding.UTF8.GetBytes(text.ToUpperInvariant()));
    }
}
