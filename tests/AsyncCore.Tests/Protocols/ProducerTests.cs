using System.Security.Cryptography;
using AsyncCore.InMemory;
using AsyncCore.Protocols;

namespace AsyncCore.Tests.Protocols;

/// <summary>FileSender (Twisted's FileSenderTests) and the producer rules of the in-memory transport.</summary>
public class ProducerTests
{
    private sealed class Sink : Protocol
    {
        public MemoryStream Received { get; } = new();

        public Failure? Lost { get; private set; }

        public override void DataReceived(ReadOnlySpan<byte> data) => Received.Write(data);

        public override void ConnectionLost(Failure reason)
        {
            Lost = reason;
            base.ConnectionLost(reason);
        }
    }

    private sealed class Idle : Protocol;

    [Fact]
    public void BeginFileTransfer_RegistersAsPullProducer()
    {
        var transport = new StringTransport();
        var sender = new FileSender();
        var d = sender.BeginFileTransfer(new MemoryStream("test content"u8.ToArray()), transport);
        Assert.Same(sender, transport.Producer);
        Assert.False(transport.Streaming);
        Assert.False(d.Called);
    }

    [Fact]
    public void BeginFileTransfer_SmallFile_FiresWithLastByte()
    {
        var transport = new StringTransport();
        var sender = new FileSender();
        var d = sender.BeginFileTransfer(new MemoryStream("test content"u8.ToArray()), transport);
        sender.ResumeProducing();
        sender.ResumeProducing();
        Assert.True(d.Called);
        Assert.Equal((byte)'t', d.Result);
        Assert.Equal("test content"u8.ToArray(), transport.Value());
        Assert.Null(transport.Producer);
    }

    [Fact]
    public void BeginFileTransfer_EmptyFile_FiresWithNull()
    {
        var transport = new StringTransport();
        var sender = new FileSender();
        var d = sender.BeginFileTransfer(new MemoryStream(), transport);
        sender.ResumeProducing();
        Assert.Null(d.Result);
    }

    [Fact]
    public void BeginFileTransfer_MultipleChunks_OneChunkPerResume()
    {
        var transport = new StringTransport();
        var sender = new FileSender();
        var content = RandomNumberGenerator.GetBytes((FileSender.DefaultChunkSize * 2) + 5);
        var d = sender.BeginFileTransfer(new MemoryStream(content), transport);
        sender.ResumeProducing();
        Assert.Equal(FileSender.DefaultChunkSize, transport.Value().Length);
        sender.ResumeProducing();
        sender.ResumeProducing();
        Assert.False(d.Called);
        sender.ResumeProducing();
        Assert.True(d.Called);
        Assert.Equal(content, transport.Value());
    }

    [Fact]
    public void BeginFileTransfer_ChunkSizeGiven_ReadsAndWritesThatMuchPerResume()
    {
        var transport = new StringTransport();
        var sender = new FileSender(chunkSize: 4);
        Assert.Equal(4, sender.ChunkSize);
        var d = sender.BeginFileTransfer(new MemoryStream("abcdefghij"u8.ToArray()), transport);
        var sizes = new List<int>();
        while (!d.Called)
        {
            var before = transport.Value().Length;
            sender.ResumeProducing();
            sizes.Add(transport.Value().Length - before);
        }
        Assert.Equal([4, 4, 2, 0], sizes);
        Assert.Equal("abcdefghij"u8.ToArray(), transport.Value());
        Assert.Equal((byte)'j', d.Result);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_ChunkSizeNotPositive_Throws(int chunkSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FileSender(chunkSize));

    [Fact]
    public void BeginFileTransfer_WithTransform_WritesTransformedChunks()
    {
        var transport = new StringTransport();
        var sender = new FileSender();
        var d = sender.BeginFileTransfer(new MemoryStream("abc"u8.ToArray()), transport, chunk => chunk.ToArray().Select(b => (byte)(b - 32)).ToArray());
        sender.ResumeProducing();
        sender.ResumeProducing();
        Assert.Equal("ABC"u8.ToArray(), transport.Value());
        Assert.Equal((byte)'C', d.Result);
    }

    [Fact]
    public void StopProducing_BeforeTheEnd_FailsTheDeferred()
    {
        var transport = new StringTransport();
        var sender = new FileSender();
        var d = sender.BeginFileTransfer(new MemoryStream(new byte[100_000]), transport);
        sender.ResumeProducing();
        sender.StopProducing();
        var failure = d.ConsumeFailure();
        Assert.NotNull(failure);
        Assert.Equal("Consumer asked us to stop producing", failure.GetErrorMessage());
    }

    [Fact]
    public void FileSender_OverLoopback_DeliversTheWholeFile()
    {
        var sink = new Sink();
        var source = new Idle();
        var pump = Loopback.Connect(sink, source);
        var content = RandomNumberGenerator.GetBytes(1_000_000);
        var d = new FileSender().BeginFileTransfer(new MemoryStream(content), source.Transport);
        pump.Flush();
        Assert.Equal(content[^1], d.Result);
        Assert.Equal(content, sink.Received.ToArray());
    }

    private sealed class CountingPushProducer(ITransport transport, int chunks) : IPushProducer
    {
        public int Pauses { get; private set; }

        public int Resumes { get; private set; }

        public int Sent { get; private set; }

        public bool Paused { get; private set; }

        public void Produce()
        {
            while (!Paused && Sent < chunks)
            {
                Sent++;
                transport.Write(new byte[16 * 1024]);
            }
            if (Sent == chunks)
            {
                transport.UnregisterProducer();
                transport.LoseConnection();
            }
        }

        public void PauseProducing()
        {
            Pauses++;
            Paused = true;
        }

        public void ResumeProducing()
        {
            Resumes++;
            Paused = false;
            Produce();
        }

        public void StopProducing() => Paused = true;
    }

    [Fact]
    public void RegisterProducer_StreamingProducerAboveHighWater_IsPausedAndResumedWhenDrained()
    {
        var sink = new Sink();
        var source = new Idle();
        var pump = Loopback.Connect(sink, source);
        var producer = new CountingPushProducer(source.Transport, chunks: 100);
        source.Transport.RegisterProducer(producer, streaming: true);
        producer.Produce();
        Assert.Equal(1, producer.Pauses);
        Assert.True(producer.Sent < 100);
        pump.Flush();
        Assert.Equal(100, producer.Sent);
        Assert.True(producer.Resumes > 0);
        Assert.Equal(100 * 16 * 1024, sink.Received.Length);
        Assert.True(sink.Lost!.Check<ConnectionDoneException>());
    }

    private sealed class SilentPullProducer : IPullProducer
    {
        public void ResumeProducing()
        {
        }

        public void StopProducing()
        {
        }
    }

    [Fact]
    public void RegisterProducer_Twice_Throws()
    {
        var pump = Loopback.Connect(new Idle(), new Idle());
        var transport = pump.ClientTransport;
        transport.RegisterProducer(new CountingPushProducer(transport, 0), streaming: true);
        Assert.Throws<InvalidOperationException>(() => transport.RegisterProducer(new CountingPushProducer(transport, 0), streaming: true));
    }

    [Fact]
    public void LoseConnection_WithRegisteredPullProducer_WaitsForUnregister()
    {
        var sink = new Sink();
        var source = new Idle();
        var pump = Loopback.Connect(sink, source);
        source.Transport.RegisterProducer(new SilentPullProducer(), streaming: false);
        source.Transport.LoseConnection();
        pump.Flush();
        Assert.Null(sink.Lost);
        source.Transport.UnregisterProducer();
        pump.Flush();
        Assert.NotNull(sink.Lost);
    }

    [Fact]
    public void RegisterProducer_PushProducerWhileAboveHighWater_IsPausedAtOnce()
    {
        // The socket transports' rule (Twisted's registerProducer): a streaming producer registered on a transport whose
        // buffer is already above the high-water mark is paused before it writes anything.
        var pump = Loopback.Connect(new Sink(), new Idle());
        var transport = pump.ClientTransport;
        transport.Write(new byte[transport.HighWaterMark + 1]);
        var producer = new CountingPushProducer(transport, chunks: 1);
        transport.RegisterProducer(producer, streaming: true);
        Assert.Equal(1, producer.Pauses);
        Assert.True(producer.Paused);
    }

    [Fact]
    public void RegisterProducer_PullProducerAsStreaming_IsRejected()
    {
        var pump = Loopback.Connect(new Idle(), new Idle());
        var error = Assert.Throws<ArgumentException>(() => pump.ClientTransport.RegisterProducer(new SilentPullProducer(), streaming: true));
        Assert.Contains("IPushProducer", error.Message, StringComparison.Ordinal);
    }
}
