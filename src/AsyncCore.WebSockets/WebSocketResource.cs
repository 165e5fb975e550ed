using System.Text.RegularExpressions;
using AsyncCore.Web;
using Microsoft.Extensions.Logging;

namespace AsyncCore.WebSockets;

/// <summary>
/// Serves WebSocket on a path of a resource tree (Autobahn's <c>WebSocketResource</c>):
/// <c>root.PutChild("ws", new WebSocketResource(factory))</c>. It checks the opening handshake (RFC 6455 4.2.1), asks the
/// protocol's <see cref="WebSocketServerProtocol.OnConnect"/>, negotiates the subprotocol and permessage-deflate,
/// answers 101 and hands the connection to the protocol.
/// </summary>
/// <remarks>
/// Refusals: 405 for a method other than GET, 426 (with <c>Upgrade: websocket</c>) for a request that does not ask to
/// upgrade or asks for a WebSocket version other than 13 (with <c>Sec-WebSocket-Version: 13</c>), 400 for a missing
/// <c>Connection: Upgrade</c>, a malformed key or extension header, or HTTP/1.0, 403 for an origin not allowed, and
/// the status of a <see cref="ConnectionDeniedException"/>.
/// </remarks>
public sealed class WebSocketResource : Resource
{
    private static readonly Action<ILogger, string, Exception?> s_onConnectFailed =
        LoggerMessage.Define<string>(LogLevel.Error, new EventId(1, "OnConnectFailed"), "WebSocket OnConnect for {Path} failed");

    private readonly WebSocketServerFactory _factory;

    /// <summary>Creates the resource.</summary>
    public WebSocketResource(WebSocketServerFactory factory) => _factory = factory ?? throw new ArgumentNullException(nameof(factory));

    /// <summary>True: the rest of the path is the protocol's to read (<see cref="WebSocketConnectionRequest.Path"/>).</summary>
    public override bool IsLeaf => true;

    /// <inheritdoc />
    public override RenderResult Render(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = request.RequestHeaders;
        if (!Handshake.HasToken(headers.GetAll("Upgrade"), "websocket"))
        {
            request.ResponseHeaders.Set("Upgrade", "websocket");
            request.ResponseHeaders.Set("Connection", "Upgrade");
            return Refuse(request, 426, "This resource speaks WebSocket: send an Upgrade: websocket request.");
        }
        if (request.Method != "GET")
        {
            request.ResponseHeaders.Set("Allow", "GET");
            return Refuse(request, 405, "A WebSocket opening handshake is a GET request.");
        }
        if (request.ClientVersion != "HTTP/1.1")
        {
            return Refuse(request, 400, "A WebSocket opening handshake needs HTTP/1.1.");
        }
        if (!Handshake.HasToken(headers.GetAll("Connection"), "upgrade"))
        {
            return Refuse(request, 400, "Missing Connection: Upgrade.");
        }
        var versions = headers.GetAll("Sec-WebSocket-Version");
        if (versions.Count != 1 || versions[0].Trim() != "13")
        {
            request.ResponseHeaders.Set("Sec-WebSocket-Version", "13");
            return Refuse(request, 426, "Only WebSocket version 13 is supported.");
        }
        var keys = headers.GetAll("Sec-WebSocket-Key");
        if (keys.Count != 1 || !Handshake.IsValidKey(keys[0].Trim()))
        {
            return Refuse(request, 400, "Missing or malformed Sec-WebSocket-Key.");
        }
        var options = _factory.Options;
        var origin = request.GetHeader("Origin");
        if (origin is not null && !OriginAllowed(origin, options))
        {
            return Refuse(request, 403, "Origin not allowed.");
        }
        var offers = ExtensionOffer.Parse(headers.GetAll("Sec-WebSocket-Extensions"));
        if (offers is null)
        {
            return Refuse(request, 400, "Malformed Sec-WebSocket-Extensions.");
        }
        var protocols = Handshake.Tokens(headers.GetAll("Sec-WebSocket-Protocol"));
        var connection = new WebSocketConnectionRequest(request, protocols, [.. offers.Select(o => o.ToString())]);

        var protocol = _factory.BuildWebSocketProtocol();
        Deferred<string?> decision;
        try
        {
            decision = protocol.Connect(_factory, connection);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            decision = Deferred.Fail<string?>(e);
        }
        var decided = false;
        var gone = request.NotifyFinish();
        gone.AddBoth(finished =>
        {
            // The client went away while OnConnectAsync was deciding: the decision has no one to go to.
            if (finished.Failure is not null && !decided)
            {
                decided = true;
                protocol.Refused("the client went away while OnConnect was deciding");
                decision.Cancel();
            }
            return true;
        });
        decision.AddBoth(outcome =>
        {
            if (decided)
            {
                return (string?)null;
            }
            decided = true;
            Decide(request, protocol, connection, outcome, keys[0].Trim(), offers, protocols);
            // Keeps the chain's type, so that the protocol's own handle on it stays usable; the failure was handled.
            return (string?)null;
        });
        return RenderResult.NotDoneYet;
    }

    private void Decide(Request request, WebSocketServerProtocol protocol, WebSocketConnectionRequest connection, Outcome<string?> outcome,
        string key, IReadOnlyList<ExtensionOffer> offers, IReadOnlyList<string> protocols)
    {
        foreach (var field in connection.ResponseHeaders)
        {
            request.ResponseHeaders.Add(field.Key, field.Value);
        }
        if (outcome.Failure is { } failure)
        {
            if (failure.Value is ConnectionDeniedException denied)
            {
                protocol.Refused($"refused by OnConnect: {denied.Code} {denied.Message}");
                Deny(request, denied.Code, denied.Message);
            }
            else if (failure.Value is not OperationCanceledException)
            {
                s_onConnectFailed(AsyncCoreLogging.LoggerFactory.CreateLogger<WebSocketResource>(), request.Path, failure.Value);
                protocol.Refused("OnConnect failed: " + failure.Value.Message);
                Deny(request, 500, "The WebSocket server failed to accept the connection.");
            }
            else
            {
                protocol.Refused("OnConnect was cancelled");
                Deny(request, 503, "The WebSocket server did not accept the connection.");
            }
            return;
        }
        var subprotocol = outcome.Value;
        if (subprotocol is not null && !protocols.Contains(subprotocol, StringComparer.Ordinal))
        {
            protocol.Refused($"OnConnect chose the subprotocol '{subprotocol}', which the client did not offer");
            Deny(request, 500, "The server chose a subprotocol the client did not offer.");
            return;
        }

        PerMessageDeflate? deflate = null;
        string? answer = null;
        if (_factory.Options.PerMessageDeflate is { } deflateOptions)
        {
            deflate = PerMessageDeflate.Accept(offers, deflateOptions, out answer);
        }
        protocol.Accept(subprotocol, deflate);
        // Set after OnConnect's own headers, so that the handshake's fields are always these.
        var response = request.ResponseHeaders;
        response.Set("Upgrade", "websocket");
        response.Set("Connection", "Upgrade");
        response.Set("Sec-WebSocket-Accept", Handshake.Accept(key));
        response.Remove("Sec-WebSocket-Protocol");
        response.Remove("Sec-WebSocket-Extensions");
        if (subprotocol is not null)
        {
            response.Set("Sec-WebSocket-Protocol", subprotocol);
        }
        if (answer is not null)
        {
            response.Set("Sec-WebSocket-Extensions", answer);
        }
        request.SwitchProtocols(protocol);
    }

    private static void Deny(Request request, int code, string reason)
    {
        request.ResponseCode = code;
        request.ResponseHeaders.Set("Content-Type", "text/plain; charset=utf-8");
        var body = System.Text.Encoding.UTF8.GetBytes(reason + "\n");
        request.ResponseHeaders.Set("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Write(body);
        request.Finish();
    }

    private static RenderResult Refuse(Request request, int code, string reason)
    {
        request.ResponseCode = code;
        request.ResponseHeaders.Set("Content-Type", "text/plain; charset=utf-8");
        return reason + "\n";
    }

    private static bool OriginAllowed(string origin, WebSocketServerOptions options)
    {
        if (origin == "null" && options.AllowNullOrigin)
        {
            return true;
        }
        foreach (var pattern in options.AllowedOrigins)
        {
            var regex = "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$";
            if (Regex.IsMatch(origin, regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
            {
                return true;
            }
        }
        return false;
    }
}
