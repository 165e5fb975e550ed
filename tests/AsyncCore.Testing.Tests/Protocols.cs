using AsyncCore.Protocols;

namespace AsyncCore.Testing.Tests;

/// <summary>Writes back what it receives.</summary>
internal sealed class Echo : Protocol
{
    public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
}

/// <summary>Records what happens to it.</summary>
internal sealed class Recorder : Protocol
{
    public List<string> Events { get; } = [];

    public override void ConnectionMade()
    {
        Events.Add("made");
        Transport.Write("hello"u8);
    }

    public override void DataReceived(ReadOnlySpan<byte> data) => Events.Add("data:" + System.Text.Encoding.ASCII.GetString(data));

    public override void ConnectionLost(Failure reason) => Events.Add("lost:" + reason.Type.Name);
}

/// <summary>A client factory recording its calls.</summary>
internal sealed class RecordingClientFactory() : ClientFactory(() => new Recorder())
{
    public List<string> Events { get; } = [];

    public override void StartedConnecting(IConnector connector) => Events.Add("started");

    public override void ClientConnectionFailed(IConnector connector, Failure reason) => Events.Add("failed:" + reason.Type.Name);

    public override void ClientConnectionLost(IConnector connector, Failure reason) => Events.Add("lost:" + reason.Type.Name);
}
