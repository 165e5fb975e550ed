using System.Net;
using System.Text;
using AsyncCore.InMemory;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Testing.Tests;

/// <summary>
/// The fakes are only worth trusting if they behave as the real thing: each scenario runs a server and a client protocol
/// over real TCP on a real reactor and over <see cref="Loopback"/>, and both must see the same events, in the same order
/// (data is compared as a whole per side, since how bytes are split into reads differs by design).
/// </summary>
public sealed class FakeVersusRealTests
{
    public static TheoryData<string> Scenarios => ["client closes", "server closes", "server aborts", "client half-closes"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Loopback_SeesTheSameEventsAsRealTcp(string scenario)
    {
        var real = await OverRealTcp(scenario);
        var fake = OverLoopback(scenario);

        Assert.Equal(real.Server, fake.Server);
        Assert.Equal(real.Client, fake.Client);
    }

    private static (List<string> Server, List<string> Client) OverLoopback(string scenario)
    {
        var server = new Side(scenario, isServer: true);
        var client = new Side(scenario, isServer: false);
        var pump = Loopback.Connect(server, client);
        for (var i = 0; i < 10 && !(server.Lost.Called && client.Lost.Called); i++)
        {
            pump.Flush();
        }
        Assert.True(server.Lost.Called && client.Lost.Called, $"loopback did not finish: {string.Join(", ", server.Events)} / {string.Join(", ", client.Events)}");
        return (server.Summary(), client.Summary());
    }

    private static async Task<(List<string> Server, List<string> Client)> OverRealTcp(string scenario)
    {
        using var janitor = new TestJanitor("fake versus real: " + scenario);
        var result = await ReactorTestRunner.RunAsync(async reactor =>
        {
            var server = new Side(scenario, isServer: true);
            var client = new Side(scenario, isServer: false);
            var port = reactor.ListenTcp(0, Factory.ForProtocol(() => server), interfaceAddress: "127.0.0.1");
            reactor.ConnectTcp("127.0.0.1", ((IPEndPoint)port.GetHost()).Port, new ClientFactory(() => client));
            await server.Lost;
            await client.Lost;
            await port.StopListening();
            return (server.Summary(), client.Summary());
        }, janitor, TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        janitor.Verify();
        return result;
    }

    /// <summary>
    /// One side of the conversation: the client sends "ping" when connected, the server answers "pong", and then the
    /// scenario ends the connection. Records every event it sees.
    /// </summary>
    private sealed class Side(string scenario, bool isServer) : Protocol, IHalfCloseableProtocol
    {
        private readonly StringBuilder _data = new();

        public List<string> Events { get; } = [];

        public Deferred<object?> Lost { get; } = new();

        public override void ConnectionMade()
        {
            Events.Add("made");
            if (!isServer)
            {
                Transport.Write("ping"u8);
            }
        }

        public override void DataReceived(ReadOnlySpan<byte> data)
        {
            _data.Append(Encoding.ASCII.GetString(data));
            if (isServer && _data.ToString() == "ping")
            {
                if (scenario == "server aborts")
                {
                    // Abort drops unsent data, and whether a write made just before it reached the peer depends on
                    // timing on a real socket: abort without writing.
                    Transport.AbortConnection();
                    return;
                }
                Transport.Write("pong"u8);
                if (scenario == "server closes")
                {
                    Transport.LoseConnection();
                }
            }
            else if (!isServer && _data.ToString() == "pong")
            {
                if (scenario == "client closes")
                {
                    Transport.LoseConnection();
                }
                else if (scenario == "client half-closes")
                {
                    Transport.LoseWriteConnection();
                }
            }
        }

        public void ReadConnectionLost()
        {
            Events.Add("read connection lost");
            // The peer has finished sending (a close and a half-close look the same from here): close this side too.
            Transport.LoseConnection();
        }

        public void WriteConnectionLost() => Events.Add("write connection lost");

        public override void ConnectionLost(Failure reason)
        {
            Events.Add("lost: " + reason.Type.Name);
            Lost.Callback(null);
        }

        /// <summary>The events, with all data received folded into one entry after "made".</summary>
        public List<string> Summary()
        {
            var summary = new List<string>(Events);
            summary.Insert(summary.IndexOf("made") + 1, "data: " + _data);
            return summary;
        }
    }
}
