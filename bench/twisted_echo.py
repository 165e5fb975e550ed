"""Twisted's echo server on the epoll reactor, the baseline of bench/run-echo.sh (run with /usr/bin/python3)."""
import sys

from twisted.internet import epollreactor

epollreactor.install()

from twisted.internet import protocol, reactor  # noqa: E402


class Echo(protocol.Protocol):
    def connectionMade(self):
        # Like every other server of the benchmark (AsyncCore and raw .NET set NoDelay on accepted sockets).
        self.transport.setTcpNoDelay(True)

    def dataReceived(self, data):
        self.transport.write(data)


factory = protocol.Factory.forProtocol(Echo)
factory.noisy = False
reactor.listenTCP(int(sys.argv[1]), factory, backlog=512, interface="127.0.0.1")
reactor.run()
