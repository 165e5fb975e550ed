// Copy of /work/shared/anchors/anchors/KestrelApp for bench/run-ws.sh, with one addition: --deflate true accepts
// permessage-deflate (WebSocketAcceptContext.DangerousEnableCompression, the runtime's zlib).
// ASP.NET Core Kestrel anchor (from `dotnet new web`):
//   GET /   -> "hello"                          (minimal API, default template settings)
//   /ws     -> WebSocket echo (app.UseWebSockets) only when started with --mode ws
//   --inline true  -> SocketTransportOptions.UnsafePreferInlineScheduling (run the app on the socket
//                     I/O thread); pair it with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
//   KestrelApp --urls http://127.0.0.1:9202 [--mode ws] [--inline true]
using System.Net.WebSockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

var builder = WebApplication.CreateBuilder(args);
if (string.Equals(builder.Configuration["inline"], "true", StringComparison.OrdinalIgnoreCase))
    builder.Services.Configure<SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = true);
var app = builder.Build();
bool ws = string.Equals(app.Configuration["mode"], "ws", StringComparison.OrdinalIgnoreCase);
bool deflate = string.Equals(app.Configuration["deflate"], "true", StringComparison.OrdinalIgnoreCase);

if (ws)
{
    app.UseWebSockets();
    app.Map("/ws", async (HttpContext context) =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = deflate });
        var buffer = new byte[16384];
        while (true)
        {
            var r = await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                break;
            }
            await socket.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, context.RequestAborted);
        }
    });
}

app.MapGet("/", () => "hello");

app.Run();
