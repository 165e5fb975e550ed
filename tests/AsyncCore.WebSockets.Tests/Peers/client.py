"""An Autobahn|Python (Twisted) WebSocket client, the real peer of PythonPeerTests.

Usage: client.py URL. Offers permessage-deflate, sends a text, a binary, a fragmented text and a large compressible
text, prints each echo as one JSON line, then closes with 4000 "bye" and prints how the connection closed.
"""
import json
import sys

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateResponse, PerMessageDeflateResponseAccept
from twisted.internet import reactor

MESSAGES = [
    ("text", "hello κόσμε".encode("utf8"), False, None),
    ("binary", bytes(range(256)), True, None),
    ("fragmented", ("fragmented " * 10).encode("utf8"), False, 7),
    ("large", ("compress me " * 20000).encode("utf8"), False, None),
]


def out(**record):
    print(json.dumps(record), flush=True)


class Client(WebSocketClientProtocol):
    def onConnect(self, response):
        out(event="connect", extensions=[str(e) for e in response.extensions])

    def onOpen(self):
        self.echoes = 0
        for _, payload, binary, fragment in MESSAGES:
            self.sendMessage(payload, isBinary=binary, fragmentSize=fragment)

    def onMessage(self, payload, isBinary):
        name, sent, binary, _ = MESSAGES[self.echoes]
        self.echoes += 1
        out(event="message", name=name, same=(payload == sent and isBinary == binary), length=len(payload))
        if self.echoes == len(MESSAGES):
            self.sendClose(4000, "bye")

    def onClose(self, wasClean, code, reason):
        out(event="close", wasClean=wasClean, code=code, reason=reason)
        reactor.stop()


def accept(response):
    if isinstance(response, PerMessageDeflateResponse):
        return PerMessageDeflateResponseAccept(response)


if __name__ == "__main__":
    factory = WebSocketClientFactory(sys.argv[1])
    factory.protocol = Client
    # Patient close timeouts (Autobahn's default is 1 s each): on a loaded machine the answer to the close frame, or the
    # server's closing of TCP after it, can take longer, which would make the close unclean.
    factory.setProtocolOptions(perMessageCompressionOffers=[PerMessageDeflateOffer()], perMessageCompressionAccept=accept,
                               closeHandshakeTimeout=30, serverConnectionDropTimeout=30)
    connectWS(factory)
    reactor.callLater(20, reactor.stop)
    reactor.run()
