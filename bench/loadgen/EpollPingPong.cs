using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LoadGen;

/// <summary>
/// The ping-pong client as one thread waiting in epoll_wait (Linux): no task or thread hop per message, so the client
/// costs about two system calls per message and does not cap the measurement before the server does.
/// </summary>
internal static class EpollPingPong
{
    private const uint EpollIn = 0x001;
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>
    /// Runs the ping-pong; <paramref name="window"/> gets the CPU used over the measured window only (after the warm-up):
    /// this process's, and the server's when <paramref name="serverPid"/> is given (utime + stime from /proc, in ticks).
    /// </summary>
    public static (long Count, long[] Samples, long Total) Run(int port, int connections, int size, TimeSpan warmup, TimeSpan duration,
        int serverPid, out CpuWindow window)
    {
        var epoll = epoll_create1(0x80000);
        var sockets = new Socket[connections];
        var started = new long[connections];
        var received = new int[connections];
        var send = new byte[size];
        var buffer = new byte[64 * 1024];
        var samples = new List<long>(1 << 20);
        for (var i = 0; i < connections; i++)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            s.Connect(new IPEndPoint(IPAddress.Loopback, port));
            s.Blocking = false;
            sockets[i] = s;
            var ev = new byte[s_eventSize];
            BinaryPrimitives.WriteUInt32LittleEndian(ev, EpollIn);
            BinaryPrimitives.WriteUInt64LittleEndian(ev.AsSpan(s_eventSize == 12 ? 4 : 8), (ulong)i);
            if (epoll_ctl(epoll, 1, (int)s.SafeHandle.DangerousGetHandle(), ev) != 0)
            {
                throw new IOException("epoll_ctl failed");
            }
        }
        var events = new byte[512 * s_eventSize];
        var begin = Stopwatch.GetTimestamp();
        var measureFrom = begin + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long count = 0, total = 0;
        var measuring = false;
        window = default;
        for (var i = 0; i < connections; i++)
        {
            started[i] = Stopwatch.GetTimestamp();
            sockets[i].Send(send, SocketFlags.None, out _);
        }
        while (true)
        {
            var n = epoll_wait(epoll, events, 512, 100);
            var now = Stopwatch.GetTimestamp();
            if (!measuring && now >= measureFrom)
            {
                measuring = true;
                window.ClientStart = Process.GetCurrentProcess().TotalProcessorTime;
                window.ServerStartTicks = ServerTicks(serverPid);
            }
            if (now >= end)
            {
                window.ClientEnd = Process.GetCurrentProcess().TotalProcessorTime;
                window.ServerEndTicks = ServerTicks(serverPid);
                break;
            }
            for (var e = 0; e < n; e++)
            {
                var index = (int)BinaryPrimitives.ReadUInt64LittleEndian(events.AsSpan((e * s_eventSize) + (s_eventSize == 12 ? 4 : 8)));
                var socket = sockets[index];
                var got = socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    continue;
                }
                if (error != SocketError.Success || got == 0)
                {
                    throw new IOException($"connection {index} failed: {error}");
                }
                received[index] += got;
                if (received[index] < size)
                {
                    continue;
                }
                received[index] -= size;
                now = Stopwatch.GetTimestamp();
                total++;
                if (now >= measureFrom)
                {
                    samples.Add(now - started[index]);
                    count++;
                }
                started[index] = now;
                socket.Send(send, SocketFlags.None, out _);
            }
        }
        foreach (var s in sockets)
        {
            s.Dispose();
        }
        _ = close(epoll);
        return (count, samples.ToArray(), total);
    }

    /// <summary>The server's CPU time so far (utime + stime, clock ticks), or -1 without a server process id.</summary>
    private static long ServerTicks(int pid)
    {
        if (pid <= 0)
        {
            return -1;
        }
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_create1(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_ctl(int epfd, int op, int fd, byte[] ev);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_wait(int epfd, [Out] byte[] events, int maxevents, int timeout);

    [DllImport("libc")]
    private static extern int close(int fd);
}

/// <summary>CPU used during the measured window: the client's own, and the server's in clock ticks (-1 when unknown).</summary>
internal struct CpuWindow
{
    public TimeSpan ClientStart;
    public TimeSpan ClientEnd;
    public long ServerStartTicks;
    public long ServerEndTicks;
}
