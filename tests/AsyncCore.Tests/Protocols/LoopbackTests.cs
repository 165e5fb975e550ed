using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Tests.Protocols;

/// <summary>The in-memory loopback (Twisted's loopback and iosim).</summary>
public class LoopbackTests
{
    private class Recorder : Protocol
    {
        public List<string> Events { get; } = [];

        public MemoryStream Received { get; } = new();

        public override void ConnectionMade() => Events.Add("made");

        public override void DataReceived(ReadOnlySpan<byte> data) => Received.Write(data);

        public override void ConnectionLost(Failure reason)
        {
            Events.Add("lost " + reason.Type.Name);
            base.ConnectionLost(reason);
        }
    }

    private sealed class HalfCloser : Recorder, IHalfCloseableProtocol
    {
        public void ReadConnectionLost()
        {
            Events.Add("read lost");
            Transport.Write("bye"u8);
            Transport.LoseConnection();
        }

        public void WriteConnectionLost() => Events.Add("write lost");
    }

    private sealed class Echo : Recorder
    {
        public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
    }

    [Fact]
    public void Connect_NothingMovesUntilFlush()
    {
        var server = new Recorder();
        var client = new Recorder();
        var pump = Loopback.Connect(server, client);
        client.Transport.Write("abc"u8);
        Assert.Equal(0, server.Received.Length);
        pump.Flush();
        Assert.Equal("abc"u8.ToArray(), server.Received.ToArray());
        Assert.Equal(["made"], server.Events);
    }

    [Fact]
    public void LoopbackAsync_EchoConversation_FiresWhenBothSidesAreDisconnected()
    {
        var server = new Echo();
        var client = new Recorder();
        var done = Loopback.LoopbackAsync(server, client);
        client.Transport.Write("ping"u8);
        Assert.Equal("ping"u8.ToArray(), client.Received.ToArray());
        Assert.False(done.Called);
        client.Transport.LoseConnection();
        Assert.True(done.Called);
        Assert.Equal(["made", "lost ConnectionDoneException"], client.Events);
        Assert.Equal(["made", "lost ConnectionDoneException"], server.Events);
    }

    [Fact]
    public void AbortConnection_DropsBufferedDataAndReportsAborted()
    {
        var server = new Recorder();
        var client = new Recorder();
        var pump = Loopback.Connect(server, client);
        client.Transport.Write("never sent"u8);
        client.Transport.AbortConnection();
        pump.Flush();
        Assert.Equal(0, server.Received.Length);
        Assert.Equal(["made", "lost ConnectionAbortedException"], client.Events);
        Assert.Equal(["made", "lost ConnectionLostException"], server.Events);
    }

    [Fact]
    public void LoseWriteConnection_HalfCloseableServer_CanStillAnswer()
    {
        var server = new HalfCloser();
        var client = new Recorder();
        var pump = Loopback.Connect(server, client);
        client.Transport.Write("request"u8);
        client.Transport.LoseWriteConnection();
        pump.Flush();
        Assert.Equal("request"u8.ToArray(), server.Received.ToArray());
        Assert.Equal("bye"u8.ToArray(), client.Received.ToArray());
        Assert.Equal(["made", "read lost", "lost ConnectionDoneException"], server.Events);
    }

    [Fact]
    public void PauseProducing_OnTheReceiver_HoldsDataUntilResumed()
    {
        var server = new Recorder();
        var client = new Recorder();
        var pump = Loopback.Connect(server, client);
        server.Transport.PauseProducing();
        client.Transport.Write("held"u8);
        pump.Flush();
        Assert.Equal(0, server.Received.Length);
        server.Transport.ResumeProducing();
        pump.Flush();
        Assert.Equal("held"u8.ToArray(), server.Received.ToArray());
    }

    [Fact]
    public void Write_AfterLoseConnection_IsIgnored()
    {
        var server = new Recorder();
        var client = new Recorder();
        var pump = Loopback.Connect(server, client);
        client.Transport.LoseConnection();
        client.Transport.Write("late"u8);
        pump.Flush();
        Assert.Equal(0, server.Received.Length);
    }
}
