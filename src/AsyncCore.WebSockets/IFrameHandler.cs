namespace AsyncCore.WebSockets;

/// <summary>What <see cref="FrameParser"/> reports to; each method returns false to stop parsing (the connection failed).</summary>
internal interface IFrameHandler
{
    /// <summary>A frame's header was read and passed the framing checks.</summary>
    bool OnFrameStart(in FrameHeader header);

    /// <summary>A piece of the frame's payload, already unmasked; valid only during the call.</summary>
    bool OnFramePayload(ReadOnlySpan<byte> data);

    /// <summary>The frame's payload is complete.</summary>
    bool OnFrameEnd();

    /// <summary>The header broke a framing rule; the handler fails the connection with <paramref name="code"/>.</summary>
    void OnFramingError(int code, string reason);
}
