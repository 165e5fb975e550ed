using AsyncCore.Reactor;

namespace AsyncCore.Transports;

/// <summary>
/// A reactor with every network capability: TCP, TLS, UDP and UNIX sockets on top of <see cref="IReactor"/>. Every
/// concrete reactor (<c>AsyncCore.Reactors</c>) is one; endpoints that need several capabilities take this type.
/// </summary>
public interface INetworkReactor : IReactor, IReactorTcp, IReactorSsl, IReactorUdp, IReactorUnix
{
}
