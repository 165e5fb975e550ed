// Copy of /work/shared/anchors/loadgen for bench/run-ws.sh, with two additions in ws mode:
//   --deflate          offer permessage-deflate (ClientWebSocketOptions.DangerousDeflateOptions) and send text-like
//                      messages (random words: they compress about 2-3x, unlike a repeated pattern)
//   --server-pid PID   read the server's CPU time (utime + stime, /proc/PID/stat) at the start and the end of the
//                      measured window and print server_cpu_pct and server_us_per_msg
// loadgen: a small, bounded load client for echo-style servers.
//
//   loadgen echo --port 9101 [--host 127.0.0.1] [-c 50] [-s 64] [-p 1] [-d 10] [-w 2]
//   loadgen ws   --url ws://127.0.0.1:9301/ws   [-c 50] [-s 64] [-p 1] [-d 10] [-w 2]
//
// Each connection keeps P messages of S bytes in flight (P=1 is strict ping-pong):
// it sends, waits until S echoed bytes (echo) or one whole message (ws) come back,
// records the round-trip latency, and sends the next. Warm-up traffic (-w seconds) is
// not counted; then traffic is measured for -d seconds. Everything stops by itself:
// a hard deadline aborts the process if a server stops answering.
//
// Final line (one line, key=value, easy to grep):
//   echo msgs_per_s=... p50_us=... p99_us=... MB_per_s=... conns=... size=... depth=... ...
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace LoadGen;

sealed class Options
{
    public string Mode = "";
    public string Host = "127.0.0.1";
    public int Port;
    public Uri? Url;
    public int Conns = 50;
    public int Size = 64;
    public int Depth = 1;
    public double Duration = 10;
    public double Warmup = 2;
    public bool Deflate;
    public int ServerPid;

    public static Options Parse(string[] args)
    {
        var o = new Options { Mode = args[0] };
        for (int i = 1; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"missing value for {a}");
            switch (a)
            {
                case "--host": o.Host = Next(); break;
                case "--port": o.Port = int.Parse(Next()); break;
                case "--url": o.Url = new Uri(Next()); break;
                case "-c": case "--conns": o.Conns = int.Parse(Next()); break;
                case "-s": case "--size": o.Size = int.Parse(Next()); break;
                case "-p": case "--depth": o.Depth = int.Parse(Next()); break;
                case "-d": case "--duration": o.Duration = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--deflate": o.Deflate = true; break;
                case "--server-pid": o.ServerPid = int.Parse(Next()); break;
                case "-w": case "--warmup": o.Warmup = double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown argument {a}");
            }
        }
        if (o.Conns < 1 || o.Size < 1 || o.Depth < 1 || o.Duration <= 0 || o.Warmup < 0 || o.Duration > 600)
            throw new ArgumentException("need conns>=1, size>=1, depth>=1, 0<duration<=600, warmup>=0");
        if (o.Mode == "echo" && o.Port <= 0) throw new ArgumentException("echo mode needs --port");
        if (o.Mode == "ws" && o.Url is null) throw new ArgumentException("ws mode needs --url ws://127.0.0.1:PORT/PATH");
        return o;
    }
}

/// <summary>State shared by all connections; the phase flags are only ever flipped forward.</summary>
sealed class Run
{
    public volatile bool Measuring;
    public volatile bool Stopping;
    public readonly CancellationTokenSource Abort = new();
    public int Errors;
    public string? FirstError;

    public void Fail(Exception e)
    {
        if (Interlocked.Increment(ref Errors) == 1) FirstError = $"{e.GetType().Name}: {e.Message}";
    }
}

/// <summary>Per-connection results, merged at the end (no sharing on the hot path).</summary>
sealed class ConnStats
{
    public long Count;
    public readonly List<long> Latencies = new(1 << 15); // Stopwatch ticks
}

static class Program
{
    static void Usage()
    {
        Console.Error.WriteLine("""
            usage:
              loadgen echo --port PORT [--host 127.0.0.1] [-c CONNS] [-s SIZE] [-p DEPTH] [-d SECONDS] [-w WARMUP_SECONDS]
              loadgen ws   --url ws://127.0.0.1:PORT/PATH  [-c CONNS] [-s SIZE] [-p DEPTH] [-d SECONDS] [-w WARMUP_SECONDS]
            defaults: -c 50 -s 64 -p 1 -d 10 -w 2. Only loopback targets are accepted.
            final line: MODE msgs_per_s=N p50_us=N p99_us=N MB_per_s=N conns=.. size=.. depth=.. dur_s=.. msgs=.. errors=.. client_cpu_pct=..
            """);
    }

    static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("echo" or "ws")) { Usage(); return 2; }
        // Run socket continuations inline on the epoll thread (a single-threaded client, like a
        // reactor). On one pinned core this avoids a thread-pool hop per message, which otherwise
        // makes the client, not the server, the bottleneck. Read once, before the first socket op.
        // Set DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 in the environment to opt out.
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        Options o;
        try { o = Options.Parse(args); }
        catch (Exception e) { Console.Error.WriteLine(e.Message); Usage(); return 2; }

        string host = o.Mode == "ws" ? o.Url!.Host : o.Host;
        IPAddress addr;
        try { addr = await ResolveLoopback(host); }
        catch (Exception e) { Console.Error.WriteLine(e.Message); return 2; }

        // Hard stop: whatever happens, the process ends shortly after warmup + duration.
        var hardDeadline = TimeSpan.FromSeconds(o.Warmup + o.Duration + 20);
        _ = Task.Delay(hardDeadline).ContinueWith(_ =>
        {
            Console.Error.WriteLine("loadgen: hard deadline reached, aborting");
            Environment.Exit(3);
        });

        var run = new Run();
        var stats = new ConnStats[o.Conns];
        var tasks = new Task[o.Conns];
        var payload = new byte[o.Size * o.Depth];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)('a' + i % 26);
        if (o.Deflate)
        {
            // Text-like: random words from a small vocabulary, so that compression has real work to do.
            string[] words = ["the", "reactor", "message", "frame", "deferred", "echo", "server", "client", "socket", "buffer", "compress", "window", "protocol", "transport", "callback", "error"];
            var random = new Random(7);
            var text = new System.Text.StringBuilder();
            while (text.Length < payload.Length) text.Append(words[random.Next(words.Length)]).Append(random.Next(100)).Append(' ');
            System.Text.Encoding.ASCII.GetBytes(text.ToString(0, payload.Length), payload);
        }

        // Connect everything first (sequentially: friendly to small listen backlogs).
        var sockets = new Socket[o.Conns];
        var wss = new ClientWebSocket[o.Conns];
        using (var connectCts = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            try
            {
                for (int i = 0; i < o.Conns; i++)
                {
                    if (o.Mode == "echo")
                    {
                        var s = new Socket(addr.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        await s.ConnectAsync(new IPEndPoint(addr, o.Port), connectCts.Token);
                        sockets[i] = s;
                    }
                    else
                    {
                        var ws = new ClientWebSocket();
                        ws.Options.KeepAliveInterval = TimeSpan.Zero;
                        if (o.Deflate) ws.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
                        await ws.ConnectAsync(o.Url!, connectCts.Token);
                        wss[i] = ws;
                    }
                }
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"loadgen: connect failed: {e.GetType().Name}: {e.Message}");
                return 1;
            }
        }

        for (int i = 0; i < o.Conns; i++)
        {
            stats[i] = new ConnStats();
            int k = i;
            tasks[i] = o.Mode == "echo"
                ? Task.Run(() => EchoLoop(sockets[k], o, payload, run, stats[k]))
                : Task.Run(() => WsLoop(wss[k], o, payload, run, stats[k]));
        }

        var proc = Process.GetCurrentProcess();
        await Task.Delay(TimeSpan.FromSeconds(o.Warmup));
        var cpu0 = proc.TotalProcessorTime;
        long server0 = ServerTicks(o.ServerPid);
        long t0 = Stopwatch.GetTimestamp();
        run.Measuring = true;
        await Task.Delay(TimeSpan.FromSeconds(o.Duration));
        run.Stopping = true;                 // counting stops here; loops drain their in-flight messages
        run.Measuring = false;
        long t1 = Stopwatch.GetTimestamp();
        proc.Refresh();
        var cpu1 = proc.TotalProcessorTime;
        long server1 = ServerTicks(o.ServerPid);

        run.Abort.CancelAfter(TimeSpan.FromSeconds(3)); // a stuck connection is cut after 3 s
        try { await Task.WhenAll(tasks); } catch { /* errors are counted per connection */ }
        foreach (var s in sockets) s?.Dispose();
        foreach (var w in wss) w?.Dispose();

        double secs = (t1 - t0) / (double)Stopwatch.Frequency;
        long msgs = 0;
        int total = 0;
        foreach (var st in stats) { msgs += st.Count; total += st.Latencies.Count; }
        var all = new long[total];
        int pos = 0;
        foreach (var st in stats) { st.Latencies.CopyTo(all, pos); pos += st.Latencies.Count; }
        Array.Sort(all);
        double Pct(double p)
        {
            if (all.Length == 0) return double.NaN;
            int idx = Math.Clamp((int)Math.Ceiling(p * all.Length) - 1, 0, all.Length - 1); // nearest-rank
            return all[idx] * 1e6 / Stopwatch.Frequency;
        }

        double mps = msgs / secs;
        double mbps = mps * o.Size / 1e6; // payload bytes echoed per second, one direction
        double clientCpu = 100.0 * (cpu1 - cpu0).TotalSeconds / secs;
        if (run.Errors > 0) Console.Error.WriteLine($"loadgen: {run.Errors} connection error(s); first: {run.FirstError}");
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(ci,
            "{0} msgs_per_s={1:F0} p50_us={2:F1} p99_us={3:F1} MB_per_s={4:F2} conns={5} size={6} depth={7} dur_s={8:F2} msgs={9} errors={10} client_cpu_pct={11:F0}",
            o.Mode, mps, Pct(0.50), Pct(0.99), mbps, o.Conns, o.Size, o.Depth, secs, msgs, run.Errors, clientCpu));
        if (o.ServerPid > 0)
        {
            double serverSeconds = (server1 - server0) / 100.0; // clock ticks of 10 ms
            Console.WriteLine(string.Format(ci, "server server_cpu_pct={0:F0} server_us_per_msg={1:F2}",
                100.0 * serverSeconds / secs, msgs > 0 ? serverSeconds * 1e6 / msgs : double.NaN));
        }
        return msgs > 0 && run.Errors == 0 ? 0 : 1;
    }

    /// <summary>utime + stime of a process in clock ticks (fields 14 and 15 of /proc/PID/stat; the name may hold spaces).</summary>
    static long ServerTicks(int pid)
    {
        if (pid <= 0) return 0;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }

    static async Task<IPAddress> ResolveLoopback(string host)
    {
        IPAddress[] addrs = IPAddress.TryParse(host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(host);
        var lo = addrs.FirstOrDefault(IPAddress.IsLoopback);
        return lo ?? throw new ArgumentException($"refusing non-loopback target {host}: this harness only drives servers on this machine");
    }

    /// <summary>Raw TCP: keep Depth messages in flight; a message is done when Size more bytes came back.</summary>
    static async Task EchoLoop(Socket s, Options o, byte[] payload, Run run, ConnStats st)
    {
        int size = o.Size, depth = o.Depth;
        var rbuf = new byte[Math.Max(16384, size * depth)];
        var sentAt = new long[depth];          // ring of send timestamps, oldest at head
        int head = 0, inflight = 0;
        long partial = 0;                       // bytes of the oldest message received so far
        var ct = run.Abort.Token;
        try
        {
            long now = Stopwatch.GetTimestamp();
            for (int i = 0; i < depth; i++) sentAt[i] = now;
            inflight = depth;
            await SendAll(s, payload.AsMemory(0, size * depth), ct);
            while (true)
            {
                int n = await s.ReceiveAsync(rbuf.AsMemory(), SocketFlags.None, ct);
                if (n == 0) throw new IOException("server closed the connection");
                partial += n;
                int done = (int)(partial / size);
                partial %= size;
                if (done > inflight) throw new IOException("server sent more bytes than were sent to it");
                long t = Stopwatch.GetTimestamp();
                bool measuring = run.Measuring;
                for (int k = 0; k < done; k++)
                {
                    if (measuring) { st.Latencies.Add(t - sentAt[head]); st.Count++; }
                    head = (head + 1) % depth;
                }
                inflight -= done;
                if (run.Stopping)
                {
                    if (inflight == 0 && partial == 0) break;
                    continue;
                }
                if (done > 0)
                {
                    for (int k = 0; k < done; k++) sentAt[(head + inflight + k) % depth] = t;
                    inflight += done;
                    await SendAll(s, payload.AsMemory(0, size * done), ct);
                }
            }
            s.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) { run.Fail(e); }
    }

    static async ValueTask SendAll(Socket s, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            int n = await s.SendAsync(data, SocketFlags.None, ct);
            data = data[n..];
        }
    }

    /// <summary>WebSocket: binary messages of Size bytes; a message is done when one whole message came back.</summary>
    static async Task WsLoop(ClientWebSocket ws, Options o, byte[] payload, Run run, ConnStats st)
    {
        int size = o.Size, depth = o.Depth;
        var msg = payload.AsMemory(0, size);
        var rbuf = new byte[Math.Max(16384, size)];
        var sentAt = new long[depth];
        int head = 0, inflight = 0;
        var ct = run.Abort.Token;
        try
        {
            for (int i = 0; i < depth; i++)
            {
                sentAt[(head + inflight) % depth] = Stopwatch.GetTimestamp();
                inflight++;
                await ws.SendAsync(msg, WebSocketMessageType.Binary, true, ct);
            }
            while (true)
            {
                int got = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await ws.ReceiveAsync(rbuf.AsMemory(got % rbuf.Length), ct);
                    if (r.MessageType == WebSocketMessageType.Close) throw new IOException("server closed the websocket");
                    got += r.Count;
                } while (!r.EndOfMessage);
                if (got != size) throw new IOException($"echoed message has {got} bytes, expected {size}");
                long t = Stopwatch.GetTimestamp();
                if (run.Measuring) { st.Latencies.Add(t - sentAt[head]); st.Count++; }
                head = (head + 1) % depth;
                inflight--;
                if (run.Stopping)
                {
                    if (inflight == 0) break;
                    continue;
                }
                sentAt[(head + inflight) % depth] = t;
                inflight++;
                await ws.SendAsync(msg, WebSocketMessageType.Binary, true, ct);
            }
            using var closeCts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", closeCts.Token);
        }
        catch (Exception e) { run.Fail(e); }
    }
}
