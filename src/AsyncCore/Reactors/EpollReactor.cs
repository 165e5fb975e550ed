using System.Net.Sockets;
using System.Runtime.Versioning;
using AsyncCore.Reactor;
using AsyncCore.Transports;
using AsyncCore.Transports.Epoll;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Reactors;

/// <summary>
/// A reactor whose thread waits in <c>epoll_wait</c> (Linux), like Twisted's default <c>epollreactor</c>: plain TCP and
/// UNIX connections are served by readiness — the reactor thread itself reads and writes the non-blocking sockets — so a
/// message costs no thread switch. Thread calls wake it through an eventfd. Everything else (timers, triggers,
/// <c>await</c> on the reactor's <see cref="SynchronizationContext"/>, TLS, UDP) behaves as on <see cref="EventLoopReactor"/>.
/// </summary>
/// <remarks>See docs/networking.md for the measurements that made this the fast path on Linux.</remarks>
[SupportedOSPlatform("linux")]
public sealed class EpollReactor : NetworkReactorBase, IEpollLoop
{
    private const int MaxEvents = 512;
    private const ulong WakeToken = 0;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly byte[] _events = new byte[MaxEvents * EpollNative.EventSize];
    private readonly List<IEpollHandler?> _handlers = [null];
    private readonly Stack<int> _freeTokens = new();
    private readonly List<EpollTransport> _dirty = [];
    private int _sleeping;
    private bool _hadIo;

    // How long the loop polls (epoll_wait with timeout 0) after a pass that handled socket events, before it sleeps.
    // A peer streaming data sends its next segment within microseconds; a reactor asleep in epoll_wait by then must be
    // woken by the sender (a cross-CPU wake-up the sending thread pays for, expensive in a VM), and a reactor that goes
    // back to sleep after every 64 KiB makes the sender pay it thousands of times per GiB. Polling 50 µs removed most
    // of those sleeps (bench/README-net.md: 1 GiB bulk 0.7x -> 0.85-1.1x raw inline). It costs up to 50 µs of CPU per
    // pass when nothing comes, hence ReactorOptions.SpinBeforeSleep: by default (Adaptive) the loop polls only while
    // polling pays (the last poll found I/O, or the last sleep ended with I/O within the window).
    private static readonly long s_pollBeforeSleepTicks = 50 * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
    private readonly SpinPolicy _spinPolicy;
    private bool _spinPays;
    // Waits for the next thread call with yields before sleeping, polling the sockets meanwhile (ThreadCallSpin): a
    // reactor whose work comes from other threads (Redis replies, database results) is then runnable when the call
    // comes, so the poster needs no eventfd write and this thread no return from the kernel's sleep.
    private readonly ThreadCallSpin _callSpin;
    private readonly Func<bool> _pollOrCalls;
    private int _spunCount;
    private readonly ReactorLifetime _lifetime;

    /// <summary>Creates the reactor; it does nothing until <see cref="Run"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public EpollReactor(ReactorOptions? options = null) : base(options)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("EpollReactor needs Linux; use EventLoopReactor elsewhere.");
        }
        SynchronizationContext = new ReactorSynchronizationContext(this);
        _spinPolicy = options?.SpinBeforeSleep ?? SpinPolicy.Adaptive;
        _callSpin = new ThreadCallSpin(_spinPolicy);
        _pollOrCalls = () => HasPendingThreadCalls || (_spunCount = EpollNative.Wait(_epoll, _events, 0)) > 0;
        _epoll = EpollNative.CreateEpoll();
        _wake = EpollNative.CreateEventFd();
        // Edge-triggered: each Signal is one event, and the counter needs no read (one syscall less per wake-up).
        EpollNative.Control(_epoll, EpollNative.CtlAdd, _wake, EpollNative.EpollIn | EpollNative.EpollEt, WakeToken);
        _lifetime = new ReactorLifetime(this, CloseDescriptors);
    }

    /// <summary>The context installed on the reactor thread while the loop runs.</summary>
    public SynchronizationContext SynchronizationContext { get; }

    /// <summary>How many times the loop polled before sleeping (<see cref="ReactorOptions.SpinBeforeSleep"/>): for tests.</summary>
    internal long Polls { get; private set; }

    /// <summary>The eventfd that thread calls signal: for tests.</summary>
    internal int WakeDescriptor => _wake;

    /// <summary>How many times the loop waited for a thread call before sleeping: for tests.</summary>
    internal long CallSpins => _callSpin.Spins;

    /// <summary>
    /// The receive buffer all readiness transports share: callbacks run one at a time on this thread, so one buffer
    /// serves every connection at no cost per connection. (256 KiB measured slower for bulk than 64 KiB.)
    /// </summary>
    byte[] IEpollLoop.ReadBuffer { get; } = new byte[64 * 1024];

    ILogger IEpollLoop.Logger => Logger;

    /// <summary>Runs the loop on the calling thread until <see cref="ReactorBase.Stop"/> has gone through shutdown.</summary>
    /// <exception cref="ReactorAlreadyRunningException">The reactor is running.</exception>
    /// <exception cref="ReactorNotRestartableException">The reactor was stopped before.</exception>
    /// <exception cref="ObjectDisposedException">The reactor was disposed.</exception>
    public override void Run()
    {
        _lifetime.Enter();
        try
        {
            RunLoop(SynchronizationContext, static reactor => ((EpollReactor)reactor).Poll());
        }
        finally
        {
            _lifetime.Exit();
        }
    }

    private protected override void WakeUp()
    {
        if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            EpollNative.Signal(_wake);
        }
    }

    /// <summary>Flushes pending writes, waits for I/O (or a timer, or a thread call) and dispatches what is ready.</summary>
    private void Poll()
    {
        FlushDirty();
        var count = 0;
        var polled = _hadIo && _dirty.Count == 0 && (_spinPolicy == SpinPolicy.Always || (_spinPolicy == SpinPolicy.Adaptive && _spinPays));
        if (polled)
        {
            Polls++;
            var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + s_pollBeforeSleepTicks;
            do
            {
                count = EpollNative.Wait(_epoll, _events, 0);
            }
            while (count == 0 && !HasPendingThreadCalls && System.Diagnostics.Stopwatch.GetTimestamp() < deadline);
            // Adaptive: a poll that found nothing stops the polling until a sleep shows that it would have paid again.
            _spinPays = count > 0;
        }
        // True when the wait for a thread call found one, or socket events, or a timer due: no sleep then.
        var woken = false;
        if (!polled && _dirty.Count == 0 && !HasPendingThreadCalls && _callSpin.ShouldSpin)
        {
            _spunCount = 0;
            woken = _callSpin.Spin(_pollOrCalls, ComputeTimeout());
            count = _spunCount;
        }
        long sleptAt = 0, wokeAt = 0;
        if (count == 0 && !woken)
        {
            Interlocked.Exchange(ref _sleeping, 1);
            // Computed after announcing sleep: a thread call queued before the announcement did not signal, so it shows here.
            var timeout = _dirty.Count > 0 ? TimeSpan.Zero : ComputeTimeout();
            var milliseconds = timeout is { } t ? (int)Math.Min(Math.Ceiling(t.TotalMilliseconds), int.MaxValue - 1) : -1;
            if (milliseconds != 0 && _spinPolicy == SpinPolicy.Adaptive)
            {
                sleptAt = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            count = EpollNative.Wait(_epoll, _events, milliseconds);
            Volatile.Write(ref _sleeping, 0);
            if (sleptAt != 0)
            {
                wokeAt = System.Diagnostics.Stopwatch.GetTimestamp();
            }
        }
        _hadIo = false;
        for (var i = 0; i < count; i++)
        {
            var (events, token) = EpollNative.Read(_events, i);
            if (token == WakeToken)
            {
                // Woken by a thread call: waiting for it with yields would have caught it when it came within the window.
                _callSpin.Woke(sleptAt);
                continue;
            }
            _hadIo = true;
            _handlers[(int)token]?.OnEvents(events);
        }
        if (sleptAt != 0 && _hadIo)
        {
            // Woken by I/O: polling instead of sleeping would have caught it when it came within the polling window.
            _spinPays = wokeAt - sleptAt <= s_pollBeforeSleepTicks;
        }
        FlushDirty();
    }

    int IEpollLoop.Register(Socket socket, IEpollHandler handler, uint events)
    {
        var token = _freeTokens.Count > 0 ? _freeTokens.Pop() : _handlers.Count;
        if (token == _handlers.Count)
        {
            _handlers.Add(handler);
        }
        else
        {
            _handlers[token] = handler;
        }
        EpollNative.Control(_epoll, EpollNative.CtlAdd, (int)socket.SafeHandle.DangerousGetHandle(), events, (ulong)token);
        return token;
    }

    void IEpollLoop.Modify(Socket socket, int token, uint events) =>
        EpollNative.Control(_epoll, EpollNative.CtlMod, (int)socket.SafeHandle.DangerousGetHandle(), events, (ulong)token);

    void IEpollLoop.Unregister(Socket socket, int token)
    {
        try
        {
            EpollNative.Control(_epoll, EpollNative.CtlDel, (int)socket.SafeHandle.DangerousGetHandle(), 0, 0);
        }
        catch (IOException)
        {
            // Already gone with its descriptor.
        }
        _handlers[token] = null;
        _freeTokens.Push(token);
    }

    /// <summary>Remembers a transport with data to send; it is flushed before the reactor waits again.</summary>
    void IEpollLoop.MarkDirty(EpollTransport transport) => _dirty.Add(transport);

    internal override IStreamConnection? CreateReadinessTransport(Socket socket, System.Net.Security.SslStream? tls, NetworkRegistry registry) =>
        tls is null ? new EpollTransport(this, socket, registry) : null;

    private void FlushDirty()
    {
        // Only the transports dirty when the flush began: one that becomes dirty again (a resumed producer wrote more)
        // waits for the next pass, so a fast producer cannot starve timers and the other connections.
        var count = _dirty.Count;
        if (count == 0)
        {
            return;
        }
        for (var i = 0; i < count; i++)
        {
            _dirty[i].Flush();
        }
        _dirty.RemoveRange(0, count);
    }

    /// <summary>
    /// Closes the epoll and eventfd descriptors. On a running reactor, stops it first and (from another thread) waits
    /// until <see cref="Run"/> has gone through the shutdown event; on the reactor thread, the descriptors are closed when
    /// the loop ends.
    /// </summary>
    public override void Dispose() => _lifetime.Dispose();

    /// <summary>
    /// Like <see cref="Dispose"/>, waiting for a running reactor's shutdown without blocking. Do not await it on the
    /// reactor thread: the loop it waits for is the one running the awaiting code.
    /// </summary>
    public override ValueTask DisposeAsync() => _lifetime.DisposeAsync();

    private void CloseDescriptors()
    {
        EpollNative.Close(_wake);
        EpollNative.Close(_epoll);
    }
}
