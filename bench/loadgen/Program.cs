using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

// Load generator for the echo benchmarks.
//   loadgen pingpong PORT CONNECTIONS SECONDS [SIZE=64] [WARMUP=2] [SERVER_PID]
//     Each connection sends SIZE bytes, waits for all SIZE bytes to come back, and repeats. Prints one line:
//     msgs_per_s=... p50_us=... p99_us=... client_cpu_pct=... [server_cpu_pct=... server_us_per_msg=...]
//     CPU figures cover the measured SECONDS only (not the warm-up); the server's come from /proc/SERVER_PID/stat
//     (utime + stime), read by the client at the start and the end of that window.
//   loadgen bulk PORT MEGABYTES
//     Sends MEGABYTES MiB on one connection to a sink server, half-closes and waits for the server's 8-byte count.
//     Prints: mb_per_s=... client_cpu_pct=...
// On Linux the ping-pong client is one thread on epoll (EpollPingPong), cheap enough not to cap the measurement;
// LOADGEN_ASYNC=1 selects the portable async-socket client instead (run it with inline completions).
var inv = CultureInfo.InvariantCulture;
if (args.Length >= 4 && args[0] == "pingpong")
{
    var port = int.Parse(args[1], inv);
    var connections = int.Parse(args[2], inv);
    var seconds = double.Parse(args[3], inv);
    var size = args.Length > 4 ? int.Parse(args[4], inv) : 64;
    var warmup = args.Length > 5 ? double.Parse(args[5], inv) : 2;
    var serverPid = args.Length > 6 ? int.Parse(args[6], inv) : 0;
    await PingPong(port, connections, seconds, size, warmup, serverPid);
    return 0;
}
if (args.Length == 3 && args[0] == "bulk")
{
    await Bulk(int.Parse(args[1], inv), long.Parse(args[2], inv) * 1024 * 1024);
    return 0;
}
Console.Error.WriteLine("usage: loadgen pingpong PORT CONNECTIONS SECONDS [SIZE] [WARMUP] | loadgen bulk PORT MEGABYTES");
return 2;

static async Task PingPong(int port, int connections, double seconds, int size, double warmup, int serverPid)
{
    if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("LOADGEN_ASYNC") is null)
    {
        var (count, ticks, allMessages) = LoadGen.EpollPingPong.Run(port, connections, size, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(seconds),
            serverPid, out var window);
        var cpuUsed = (window.ClientEnd - window.ClientStart).TotalSeconds;
        Array.Sort(ticks);
        double P(double p) => ticks.Length == 0 ? double.NaN : ticks[Math.Min(ticks.Length - 1, (int)(p * ticks.Length))] * 1e6 / Stopwatch.Frequency;
        var server = "";
        if (window.ServerStartTicks >= 0 && count > 0)
        {
            // USER_HZ is 100 on Linux (sysconf(_SC_CLK_TCK)); the kernel reports utime and stime in those ticks.
            var serverSeconds = (window.ServerEndTicks - window.ServerStartTicks) / 100.0;
            server = string.Create(CultureInfo.InvariantCulture,
                $" server_cpu_pct={100 * serverSeconds / seconds:F0} server_us_per_msg={serverSeconds * 1e6 / count:F1}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"msgs_per_s={count / seconds:F0} p50_us={P(0.50):F1} p99_us={P(0.99):F1} client_cpu_pct={100 * cpuUsed / seconds:F0}{server} connections={connections} size={size} total_msgs={allMessages}"));
        return;
    }
    var sockets = new List<Socket>();
    for (var i = 0; i < connections; i++)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        sockets.Add(s);
    }
    var measuring = 0;
    var stop = 0;
    var samples = new List<long>[connections];
    var counts = new long[connections];
    var tasks = new Task[connections];
    for (var i = 0; i < connections; i++)
    {
        var index = i;
        samples[i] = new List<long>(1 << 16);
        tasks[i] = Task.Run(async () =>
        {
            var socket = sockets[index];
            var send = new byte[size];
            var receive = new byte[size];
            while (Volatile.Read(ref stop) == 0)
            {
                var start = Stopwatch.GetTimestamp();
                await socket.SendAsync(send, SocketFlags.None);
                var got = 0;
                while (got < size)
                {
                    var n = await socket.ReceiveAsync(receive.AsMemory(got), SocketFlags.None);
                    if (n == 0)
                    {
                        throw new IOException("server closed");
                    }
                    got += n;
                }
                if (Volatile.Read(ref measuring) == 1)
                {
                    samples[index].Add(Stopwatch.GetTimestamp() - start);
                    counts[index]++;
                }
            }
        });
    }
    await Task.Delay(TimeSpan.FromSeconds(warmup));
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var t0 = Stopwatch.GetTimestamp();
    Volatile.Write(ref measuring, 1);
    await Task.Delay(TimeSpan.FromSeconds(seconds));
    Volatile.Write(ref measuring, 0);
    var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    Volatile.Write(ref stop, 1);
    foreach (var s in sockets)
    {
        s.Shutdown(SocketShutdown.Both);
    }
    try
    {
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5));
    }
    catch (Exception)
    {
        // Sockets shut down under a pending receive.
    }
    var all = samples.SelectMany(x => x).ToArray();
    Array.Sort(all);
    double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1e6 / Stopwatch.Frequency;
    var total = counts.Sum();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"msgs_per_s={total / elapsed:F0} p50_us={Percentile(0.50):F1} p99_us={Percentile(0.99):F1} client_cpu_pct={100 * cpu / elapsed:F0} connections={connections} size={size}"));
    foreach (var s in sockets)
    {
        s.Dispose();
    }
}

static async Task Bulk(int port, long total)
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
    var chunk = new byte[256 * 1024];
    Random.Shared.NextBytes(chunk);
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var t0 = Stopwatch.GetTimestamp();
    long sent = 0;
    while (sent < total)
    {
        var n = (int)Math.Min(chunk.Length, total - sent);
        sent += await socket.SendAsync(chunk.AsMemory(0, n), SocketFlags.None);
    }
    socket.Shutdown(SocketShutdown.Send);
    var answer = new byte[8];
    var got = 0;
    while (got < 8)
    {
        var n = await socket.ReceiveAsync(answer.AsMemory(got), SocketFlags.None);
        if (n == 0)
        {
            throw new IOException("server closed before answering");
        }
        got += n;
    }
    var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    var counted = BinaryPrimitives.ReadInt64BigEndian(answer);
    if (counted != total)
    {
        throw new IOException($"server counted {counted} bytes, sent {total}");
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mb_per_s={total / 1048576.0 / elapsed:F0} client_cpu_pct={100 * cpu / elapsed:F0} bytes={total}"));
}
