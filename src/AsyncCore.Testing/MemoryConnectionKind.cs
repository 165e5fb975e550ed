namespace AsyncCore.Testing;

/// <summary>Which reactor call a <see cref="MemoryPort"/> or <see cref="MemoryConnector"/> records.</summary>
public enum MemoryConnectionKind
{
    /// <summary><c>ListenTcp</c> or <c>ConnectTcp</c>.</summary>
    Tcp,

    /// <summary><c>ListenSsl</c> or <c>ConnectSsl</c>.</summary>
    Ssl,

    /// <summary><c>ListenUnix</c> or <c>ConnectUnix</c>.</summary>
    Unix,

    /// <summary><c>ListenUdp</c>.</summary>
    Udp,
}
