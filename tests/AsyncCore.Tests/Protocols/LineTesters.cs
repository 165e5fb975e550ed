using System.Globalization;
using System.Text;
using AsyncCore.Protocols;
using AsyncCore.Tasks;

namespace AsyncCore.Tests.Protocols;

/// <summary>Twisted's LineTester (test_basic.py): acts on tokens in the lines it receives.</summary>
internal sealed class LineTester(Clock? clock = null) : LineReceiver
{
    private int _length;

    public List<byte[]> Received { get; } = [];

    public List<string> ReceivedText => Received.Select(b => Encoding.ASCII.GetString(b)).ToList();

    public override void ConnectionMade() => Received.Clear();

    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
        Received.Add(line.ToArray());
        var text = Encoding.ASCII.GetString(line);
        if (text.Length == 0)
        {
            SetRawMode();
        }
        else if (text == "pause")
        {
            PauseProducing();
            clock!.CallLater(TimeSpan.Zero, ResumeProducing);
        }
        else if (text == "rawpause")
        {
            PauseProducing();
            SetRawMode();
            Received.Add([]);
            clock!.CallLater(TimeSpan.Zero, ResumeProducing);
        }
        else if (text == "stop")
        {
            StopProducing();
        }
        else if (text.StartsWith("len ", StringComparison.Ordinal))
        {
            _length = int.Parse(text[4..], CultureInfo.InvariantCulture);
        }
        else if (text.StartsWith("produce", StringComparison.Ordinal))
        {
            Transport.RegisterProducer(this, false);
        }
        else if (text.StartsWith("unproduce", StringComparison.Ordinal))
        {
            Transport.UnregisterProducer();
        }
    }

    protected override void RawDataReceived(ReadOnlySpan<byte> data)
    {
        var take = Math.Min(_length, data.Length);
        var rest = data[take..];
        _length -= take;
        Received[^1] = [.. Received[^1], .. data[..take]];
        if (_length == 0)
        {
            SetLineMode(rest);
        }
    }

    protected override void LineLengthExceeded(ReadOnlySpan<byte> line)
    {
        if (line.Length > MaxLength + 1)
        {
            SetLineMode(line[(MaxLength + 1)..]);
        }
    }
}

/// <summary>Twisted's FlippingLineTester: flips between line and raw mode after one byte.</summary>
internal sealed class FlippingLineTester : LineReceiver
{
    public FlippingLineTester() => Delimiter = "\n"u8.ToArray();

    public List<byte[]> Lines { get; } = [];

    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
        Lines.Add(line.ToArray());
        SetRawMode();
    }

    protected override void RawDataReceived(ReadOnlySpan<byte> data) => SetLineMode(data[1..]);
}

/// <summary>Twisted's ExcessivelyLargeLineCatcher: records what exceeds the limit.</summary>
internal sealed class ExcessivelyLargeLineCatcher : LineReceiver
{
    public List<byte[]> LongLines { get; } = [];

    public List<byte[]> Lines { get; } = [];

    protected override void LineReceived(ReadOnlySpan<byte> line) => Lines.Add(line.ToArray());

    protected override void LineLengthExceeded(ReadOnlySpan<byte> line) => LongLines.Add(line.ToArray());
}

/// <summary>A plain line receiver that records lines.</summary>
internal sealed class RecordingLineReceiver : LineReceiver
{
    public List<string> Lines { get; } = [];

    public Action<RecordingLineReceiver, string>? OnLine { get; set; }

    public List<byte[]> Raw { get; } = [];

    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
        var text = Encoding.ASCII.GetString(line);
        Lines.Add(text);
        OnLine?.Invoke(this, text);
    }

    protected override void RawDataReceived(ReadOnlySpan<byte> data) => Raw.Add(data.ToArray());
}

/// <summary>A LineReceiver that does not override RawDataReceived.</summary>
internal sealed class BareLineReceiver : LineReceiver
{
    protected override void LineReceived(ReadOnlySpan<byte> line)
    {
    }
}
