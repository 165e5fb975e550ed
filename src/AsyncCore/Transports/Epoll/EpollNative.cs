using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace AsyncCore.Transports.Epoll;

/// <summary>The few Linux calls the epoll reactor needs: epoll itself and an eventfd to wake it from other threads.</summary>
internal static class EpollNative
{
    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 1u << 31;
    public const int CtlAdd = 1;
    public const int CtlDel = 2;
    public const int CtlMod = 3;
    private const int CloseOnExec = 0x80000;
    private const int NonBlocking = 0x800;
    private const int Interrupted = 4;

    /// <summary>
    /// The size of <c>struct epoll_event</c>: packed (12 bytes) on x86-64, naturally aligned (16 bytes) elsewhere.
    /// Events are read from a byte buffer so that one code path serves both layouts.
    /// </summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int s_dataOffset = EventSize == 12 ? 4 : 8;

    public static int CreateEpoll()
    {
        var fd = epoll_create1(CloseOnExec);
        return fd >= 0 ? fd : throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static int CreateEventFd()
    {
        var fd = eventfd(0, CloseOnExec | NonBlocking);
        return fd >= 0 ? fd : throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public static void Control(int epoll, int operation, int fd, uint events, ulong data)
    {
        var buffer = new byte[EventSize];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, events);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(s_dataOffset), data);
        if (epoll_ctl(epoll, operation, fd, buffer) != 0)
        {
            throw new IOException($"epoll_ctl({operation}) failed for fd {fd}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for events; returns how many were stored in <paramref name="events"/> (0 on a signal).</summary>
    public static int Wait(int epoll, byte[] events, int timeoutMilliseconds)
    {
        var count = epoll_wait(epoll, events, events.Length / EventSize, timeoutMilliseconds);
        if (count >= 0)
        {
            return count;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno == Interrupted ? 0 : throw new IOException($"epoll_wait failed: errno {errno}");
    }

    public static (uint Events, ulong Data) Read(byte[] events, int index)
    {
        var span = events.AsSpan(index * EventSize, EventSize);
        return (BinaryPrimitives.ReadUInt32LittleEndian(span), BinaryPrimitives.ReadUInt64LittleEndian(span[s_dataOffset..]));
    }

    /// <summary>
    /// Adds one to the eventfd's counter. Registered edge-triggered, each write is a new event, so the counter is never
    /// read back: only when it is full (after 2^64 - 2 writes, EAGAIN) is it drained, and the write made again.
    /// </summary>
    public static void Signal(int eventFd)
    {
        ulong one = 1;
        if (write(eventFd, ref one, 8) < 0)
        {
            Drain(eventFd);
            _ = write(eventFd, ref one, 8);
        }
    }

    public static void Drain(int eventFd)
    {
        _ = read(eventFd, out _, 8);
    }

    public static void Close(int fd) => _ = close(fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_create1(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_ctl(int epfd, int op, int fd, byte[] ev);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_wait(int epfd, [Out] byte[] events, int maxevents, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int eventfd(uint initval, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, ref ulong value, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, out ulong value, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}

/// <summary>Something registered with the epoll reactor: called on the reactor thread with the ready events.</summary>
internal interface IEpollHandler
{
    void OnEvents(uint events);
}
