using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace AsyncCore.Transports;

/// <summary>
/// Has the runtime's socket engine complete a socket's operations on its own event thread instead of handing each one to
/// the thread pool, for the sockets whose completions are only ever posted to the reactor.
/// </summary>
/// <remarks>
/// <para>On Linux and macOS the runtime's engine thread learns that a socket is ready and, by default, queues a thread-pool
/// work item that does the <c>recv</c>/<c>send</c> and runs the completion; the completion of an operation awaited on the
/// reactor thread then posts the continuation to the reactor's <see cref="SynchronizationContext"/>. Each message thus
/// crossed two threads before reaching the reactor (engine, pool worker, reactor) where a raw socket server crosses one
/// (engine, pool worker): on one core that is a third context switch per message, which made the completion-based
/// transports trail raw sockets (bench/README-net.md, issue 17).</para>
/// <para>With inline completions for the socket the engine thread does the system call and the post itself, so the message
/// crosses one thread, as with raw sockets. It is safe here because the work done on the engine thread is bounded: the
/// continuation is never run there but posted to the reactor (every operation of these transports is started and
/// awaited on the reactor thread, under its context). It is the per-socket form of
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, which would do the same for every socket of the process,
/// including the application's own, whose continuations may block. The switch is internal to the runtime
/// (<c>Socket.PreferInlineCompletions</c>, kept for external use by a <c>DynamicDependency</c>); when it is missing (other
/// runtimes, Windows, where completions come from I/O completion ports), sockets keep the default.</para>
/// </remarks>
internal static class SocketCompletions
{
    private static bool s_unavailable = OperatingSystem.IsWindows();

    /// <summary>Asks for inline completions on <paramref name="socket"/> when the runtime supports it; otherwise does nothing.</summary>
    public static void PreferInline(Socket socket)
    {
        if (s_unavailable)
        {
            return;
        }
        try
        {
            SetPreferInlineCompletions(socket, true);
        }
        catch (MissingMemberException)
        {
            s_unavailable = true;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PreferInlineCompletions")]
    private static extern void SetPreferInlineCompletions(Socket socket, bool value);
}
