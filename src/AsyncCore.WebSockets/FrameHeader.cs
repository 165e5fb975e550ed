namespace AsyncCore.WebSockets;

/// <summary>One frame's header as read off the wire (RFC 6455 5.2).</summary>
internal readonly record struct FrameHeader(bool Fin, bool Rsv1, Opcode Opcode, bool Masked, long Length)
{
    public bool IsControl => ((byte)Opcode & 0x8) != 0;
}
