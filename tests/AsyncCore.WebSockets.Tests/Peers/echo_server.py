"""An Autobahn|Python (Twisted) WebSocket echo server, the real peer of PythonPeerTests.

Listens on 127.0.0.1 on a free port, prints "port N" and echoes every message; accepts permessage-deflate. Prints one
JSON line per connection closed. Stops after 30 s (the test stops it earlier).
"""
import json

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept
from twisted.internet import reactor


class Echo(WebSocketServerProtocol):
    def onMessage(self, payload, isBinary):
        self.sendMessage(payload, isBinary)

    def onClose(self, wasClean, code, reason):
        print(json.dumps({"event": "close", "wasClean": wasClean, "code": code}), flush=True)


def accept(offers):
    for offer in offers:
        if isinstance(offer, PerMessageDeflateOffer):
            return PerMessageDeflateOfferAccept(offer)


if __name__ == "__main__":
    factory = WebSocketServerFactory("ws://127.0.0.1")
    factory.protocol = Echo
    factory.setProtocolOptions(perMessageCompressionAccept=accept)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    print("port %d" % port.getHost().port, flush=True)
    reactor.callLater(30, reactor.stop)
    reactor.run()
