"""Autobahn (Twisted) WebSocket echo server: every message is sent back as it came.

    python3 autobahn_ws.py [port=9301] [deflate]      # ws://127.0.0.1:PORT/ (any path)

Copy of /work/shared/anchors/anchors/autobahn_ws.py for bench/run-ws.sh; "deflate" accepts permessage-deflate offers.
"""
import sys

from twisted.internet import epollreactor

epollreactor.install()

from autobahn.twisted.websocket import (  # noqa: E402
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket.compress import (  # noqa: E402
    PerMessageDeflateOffer,
    PerMessageDeflateOfferAccept,
)
from twisted.internet import reactor  # noqa: E402


class EchoWs(WebSocketServerProtocol):
    def onMessage(self, payload, isBinary):
        self.sendMessage(payload, isBinary)


port = int(sys.argv[1]) if len(sys.argv) > 1 else 9301
factory = WebSocketServerFactory(f"ws://127.0.0.1:{port}")
factory.protocol = EchoWs
factory.setProtocolOptions(tcpNoDelay=True)
if len(sys.argv) > 2 and sys.argv[2] == "deflate":

    def accept(offers):
        for offer in offers:
            if isinstance(offer, PerMessageDeflateOffer):
                return PerMessageDeflateOfferAccept(offer)
        return None

    factory.setProtocolOptions(perMessageCompressionAccept=accept)
reactor.listenTCP(port, factory, backlog=1024, interface="127.0.0.1")
print(f"autobahn echo ({type(reactor).__name__}) listening on ws://127.0.0.1:{port}/", flush=True)
reactor.run()
