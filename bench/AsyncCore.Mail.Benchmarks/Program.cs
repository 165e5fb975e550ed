// Messages per second into one AsyncCore EsmtpServer over loopback: AsyncCore's SmtpSender (1 and 20 connections,
// reused with RSET) against MailKit's SmtpClient (1 client reused; 20 clients in parallel tasks) in the same run,
// interleaved rounds after a warm-up, with the server's CPU per message read from /proc.
//
//   taskset -c 1 dotnet bench/AsyncCore.Mail.Benchmarks/bin/Release/net10.0/AsyncCore.Mail.Benchmarks.dll [messages] [rounds] [cell]
//   (cell: only the cells whose name contains it, e.g. "AsyncCore SmtpSender, 20" to profile one client)
//   dotnet .../AsyncCore.Mail.Benchmarks.dll cooperator|all [recipients] [warm]   (memory and longest stall of a bulk send;
//                                                  "warm": compile the send path on a worker thread first)
//
// The driver starts the server as a child process pinned to core 0 (`taskset -c 0 ... server`), so the clients (this
// process, pinned to core 1 by the command above) and the server do not share a core. See bench/README-mail.md.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using AsyncCore;
using AsyncCore.InMemory;
using AsyncCore.Tasks;
using AsyncCore.Mail;
using AsyncCore.Reactors;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

if (args.Length > 0 && args[0] == "server")
{
    return RunServer();
}
if (args.Length > 0 && args[0] is "cooperator" or "all")
{
    // Seed 003's bulk send, one message per recipient over one connection to an in-process server (in memory, so the
    // numbers are the library's and not the kernel's): memory and the longest reactor stall.
    return BulkMemory.Run(args[0], args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000, args.Contains("warm"));
}

var messages = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;

var dll = Path.ChangeExtension(typeof(Program).Assembly.Location, ".dll");
var serverInfo = new ProcessStartInfo("taskset", ["-c", "0", Environment.ProcessPath!, dll, "server"])
{
    RedirectStandardOutput = true,
    RedirectStandardInput = true,
    UseShellExecute = false,
};
using var server = Process.Start(serverInfo)!;
var port = int.Parse(server.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
var endpoint = $"tcp:127.0.0.1:{port}";

using var reactor = ReactorFactory.Create();
using var reactorThread = reactor.RunInBackground();

var message = new MimeMessage();
message.From.Add(new MailboxAddress("Ada", "ada@example.org"));
message.To.Add(new MailboxAddress("Bob", "bob@example.org"));
message.Subject = "benchmark";
message.Body = new TextPart("plain") { Text = "A small message, about the size of a notification.\r\n" + new string('x', 200) + "\r\n" };
string[] recipients = ["bob@example.org"];

(string Name, Func<int, Task> Run)[] cells =
[
    ("AsyncCore SmtpSender, 1 connection", n => AsyncCoreRun(n, 1)),
    ("MailKit SmtpClient, 1 client reused", n => MailKitRun(n, 1)),
    ("AsyncCore SmtpSender, 20 connections", n => AsyncCoreRun(n, 20)),
    ("MailKit SmtpClient, 20 clients in parallel", n => MailKitRun(n, 20)),
];
if (args.Length > 2)
{
    // Only the cells whose name contains the third argument (for profiling one client: "AsyncCore SmtpSender, 20").
    cells = cells.Where(c => c.Name.Contains(args[2], StringComparison.Ordinal)).ToArray();
}

Console.WriteLine($"# {messages} messages per cell, {rounds} rounds after a warm-up; server pid {server.Id} on core 0; {DateTime.UtcNow:u}");
foreach (var (name, run) in cells)
{
    // A full-size warm-up per cell: shorter ones left round 1 measurably slower (JIT tiering, pools).
    await run(messages);
}
var rates = cells.Select(_ => new List<double>()).ToArray();
var cpu = cells.Select(_ => new List<double>()).ToArray();
var busy = cells.Select(_ => new List<double>()).ToArray();
for (var round = 0; round < rounds; round++)
{
    // Rotate the order so that no cell always runs right after the same neighbour.
    for (var k = 0; k < cells.Length; k++)
    {
        var i = (k + round) % cells.Length;
        var before = ServerCpuTicks(server.Id);
        var clock = Stopwatch.StartNew();
        await cells[i].Run(messages);
        var seconds = clock.Elapsed.TotalSeconds;
        var ticks = ServerCpuTicks(server.Id) - before;
        var cpuSeconds = ticks / 100.0;
        rates[i].Add(messages / seconds);
        cpu[i].Add(cpuSeconds * 1e6 / messages);
        busy[i].Add(cpuSeconds / seconds);
        Console.WriteLine($"round {round + 1} {cells[i].Name,-44} {messages / seconds,9:F0} msg/s  server {cpuSeconds * 1e6 / messages,6:F1} us/msg  server core {100 * cpuSeconds / seconds,3:F0} %");
    }
}

Console.WriteLine();
Console.WriteLine("| client | msgs/s (min-max) | server CPU µs/msg (min-max) | server core busy |");
Console.WriteLine("|---|---|---|---|");
for (var i = 0; i < cells.Length; i++)
{
    Console.WriteLine($"| {cells[i].Name} | {rates[i].Min():F0}-{rates[i].Max():F0} | {cpu[i].Min():F1}-{cpu[i].Max():F1} | {100 * busy[i].Min():F0}-{100 * busy[i].Max():F0} % |");
}
Console.WriteLine();
if (cells.Length == 4)
{
    Ratio("AsyncCore 1 conn / MailKit 1 client", 0, 1);
    Ratio("AsyncCore 20 conn / MailKit 20 clients", 2, 3);
    Ratio("AsyncCore 20 conn / MailKit 1 client", 2, 1);
}

await server.StandardInput.DisposeAsync();
await server.WaitForExitAsync();
return 0;

void Ratio(string name, int a, int b)
{
    var perRound = rates[a].Zip(rates[b], (x, y) => x / y).ToList();
    Console.WriteLine($"{name}: {perRound.Min():F2}x-{perRound.Max():F2}x (rounds {string.Join(", ", perRound.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})");
}

Task AsyncCoreRun(int count, int connections)
{
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    reactor.CallFromThread(() =>
    {
        var sender = new SmtpSender(reactor, endpoint, new SendMailOptions { HeloName = "bench.client" }, connections);
        var left = count;
        for (var i = 0; i < count; i++)
        {
            sender.Send("ada@example.org", recipients, message).AddCallbacks(
                (SendMailResult _) =>
                {
                    if (--left == 0)
                    {
                        sender.Close();
                        done.SetResult();
                    }
                    return (object?)null;
                },
                (Failure failure) =>
                {
                    done.TrySetException(failure.Value);
                    return (object?)null;
                });
        }
    });
    return done.Task;
}

async Task MailKitRun(int count, int clients)
{
    async Task One(int share)
    {
        using var smtp = new SmtpClient { LocalDomain = "bench.client" };
        await smtp.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
        for (var i = 0; i < share; i++)
        {
            await smtp.SendAsync(message);
        }
        await smtp.DisconnectAsync(quit: true);
    }
    await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => One(count / clients + (c < count % clients ? 1 : 0)))));
}

static long ServerCpuTicks(int pid)
{
    // /proc/PID/stat: fields after the ")" of the command; utime and stime are the 14th and 15th fields overall.
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
}

static int RunServer()
{
    using var reactor = ReactorFactory.Create();
    using var reactorThread = reactor.RunInBackground();
    var delivery = new CountingDelivery();
    var listening = reactor.BlockingCallFromThread(() => reactor.ListenTcp(0,
        new EsmtpServerFactory(reactor, delivery, new EsmtpServerOptions { HostName = "bench.server" }), backlog: 256, interfaceAddress: "127.0.0.1"));
    Console.WriteLine(((IPEndPoint)listening.GetHost()).Port.ToString(CultureInfo.InvariantCulture));
    Console.Out.Flush();
    // Until the driver closes our stdin.
    Console.In.ReadToEnd();
    return 0;
}

/// <summary>Accepts every sender and recipient and counts the messages (reading each to its end).</summary>
internal sealed class CountingDelivery : IMailDelivery
{
    public long Messages { get; private set; }

    public Deferred<SmtpReply> ValidateSender(MailEnvelope envelope, string sender) => Deferred.Succeed(SmtpReply.Ok);

    public Deferred<SmtpReply> ValidateRecipient(MailEnvelope envelope, string recipient) => Deferred.Succeed(SmtpReply.Ok);

    public Deferred<SmtpReply> Deliver(MailEnvelope envelope, Stream message)
    {
        message.CopyTo(Stream.Null);
        Messages++;
        return Deferred.Succeed(new SmtpReply(250, "2.0.0 Queued"));
    }
}

/// <summary>
/// One message per recipient through one reused <see cref="EsmtpClient"/> connected in memory to an
/// <see cref="EsmtpServer"/>, on a real reactor: "cooperator" yields the sends lazily to a <see cref="Cooperator"/>,
/// "all" queues them at once under a DeferredList. A 1 ms heartbeat on the reactor records the longest gap (the stall)
/// and samples the heap.
/// </summary>
internal static class BulkMemory
{
    public static int Run(string mode, int recipients, bool warm)
    {
        using var reactor = ReactorFactory.Create();
        using var reactorThread = reactor.RunInBackground();
        if (warm)
        {
            // What an application does at startup (Mail.WarmUp): compile the send path on a worker thread. Without it
            // the first send compiles ~30-50 ms of methods inside one reactor call: the longest stall of a cold run.
            reactor.BlockingCallFromThread(() => Mail.WarmUp(reactor));
        }
        var line = reactor.BlockingCallFromThread(() => Measure(reactor, mode, recipients));
        Console.WriteLine(line);
        return 0;
    }

    /// <summary>
    /// How long this thread has waited for a CPU while runnable (the second field of /proc/thread-self/schedstat, in
    /// ns): on a shared machine a gap can be the kernel running someone else, not the reactor being busy.
    /// </summary>
    private static TimeSpan RunQueueWait()
    {
        try
        {
            var fields = File.ReadAllText("/proc/thread-self/schedstat").Split(' ');
            return TimeSpan.FromTicks(long.Parse(fields[1], CultureInfo.InvariantCulture) / 100);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    private static MimeMessage NewsMessage()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Newsletter", "news@example.org"));
        message.Subject = "news";
        message.Body = new TextPart("plain") { Text = "The monthly letter.\r\n" };
        return message;
    }

    private static Deferred<string> Measure(AsyncCore.Transports.NetworkReactorBase reactor, string mode, int recipients)
    {
        var delivery = new CountingDelivery();
        var server = new EsmtpServerFactory(reactor, delivery, new EsmtpServerOptions { HostName = "bench.server" }).BuildProtocol(Loopback.ClientAddress)!;
        var client = new EsmtpClient(reactor, new SendMailOptions { HeloName = "bench.client" });
        var pump = Loopback.Connect(server, client);
        pump.AutoFlush = true;
        pump.Flush();
        var message = NewsMessage();

        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        var longest = TimeSpan.Zero;
        // The first second also holds the JIT compiling the whole send path; reported apart.
        var longestAfterFirstSecond = TimeSpan.Zero;
        long peakHeap = 0;
        var running = true;
        // What happened during the longest gap: JIT compilation time, GC pause time and collections in it (the stall's cause).
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime(currentThread: true);
        var pauseBefore = GC.GetTotalPauseDuration();
        var gcBefore = GC.CollectionCount(0);
        var queuedBefore = RunQueueWait();
        var longestCause = "";
        var longestHeld = TimeSpan.Zero;
        var heldCause = "";
        var laterCause = "";
        void Beat()
        {
            var now = clock.Elapsed;
            var jit = System.Runtime.JitInfo.GetCompilationTime(currentThread: true);
            var pause = GC.GetTotalPauseDuration();
            var gcs = GC.CollectionCount(0);
            var queued = RunQueueWait();
            var gap = now - last;
            string Cause() => string.Create(CultureInfo.InvariantCulture,
                $"at {last.TotalMilliseconds:F0} ms: JIT {(jit - jitBefore).TotalMilliseconds:F1} ms, GC pauses {(pause - pauseBefore).TotalMilliseconds:F1} ms in {gcs - gcBefore} collections, waiting for a CPU (other threads and processes) {(queued - queuedBefore).TotalMilliseconds:F1} ms");
            if (gap > longest)
            {
                longestCause = Cause();
                longest = gap;
            }
            // The gap less the time the kernel ran something else: how long the reactor held its thread itself.
            var held = gap - (queued - queuedBefore);
            if (held > longestHeld)
            {
                heldCause = Cause();
                longestHeld = held;
            }
            if (last > TimeSpan.FromSeconds(1) && gap > longestAfterFirstSecond)
            {
                laterCause = Cause();
                longestAfterFirstSecond = gap;
            }
            jitBefore = jit;
            pauseBefore = pause;
            gcBefore = gcs;
            queuedBefore = queued;
            last = now;
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
            if (running)
            {
                reactor.CallLater(TimeSpan.FromMilliseconds(1), Beat);
            }
        }
        reactor.CallLater(TimeSpan.FromMilliseconds(1), Beat);

        var accepted = 0;
        Deferred<bool> done;
        if (mode == "all")
        {
            var sends = new List<Deferred<SendMailResult>>(recipients);
            for (var i = 0; i < recipients; i++)
            {
                sends.Add(client.Send("news@example.org", [$"user{i}@example.org"], message).AddCallback(r => { accepted += r.Accepted.Count; }));
            }
            done = new DeferredList<SendMailResult>(sends, consumeErrors: true).AddCallback(_ => true);
        }
        else
        {
            IEnumerable<Deferred> Sends()
            {
                for (var i = 0; i < recipients; i++)
                {
                    yield return client.Send("news@example.org", [$"user{i}@example.org"], message).AddCallback(r => { accepted += r.Accepted.Count; });
                }
            }
            // The time slice SmtpSender.SendMany uses by default (BulkSendOptions.TimeSlice).
            done = new Cooperator(reactor, new BulkSendOptions().TimeSlice).Coiterate(Sends()).AddCallback(_ => true);
        }
        var result = new Deferred<string>();
        done.AddCallback(_ =>
        {
            running = false;
            var elapsed = clock.Elapsed;
            // The last gap, up to the end, counts too (an "all" run may have held the thread from start to end).
            longest = TimeSpan.FromTicks(Math.Max(longest.Ticks, (elapsed - last).Ticks));
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
            client.Quit();
            result.Callback(string.Create(CultureInfo.InvariantCulture,
                $"{mode}: {recipients:N0} recipients, {accepted:N0} accepted, {delivery.Messages:N0} delivered in {elapsed.TotalSeconds:F1} s " +
                $"({recipients / elapsed.TotalSeconds:F0}/s); longest reactor stall {longest.TotalMilliseconds:F1} ms ({longestCause}; {longestAfterFirstSecond.TotalMilliseconds:F1} ms after the first second, {laterCause}); " +
                $"longest gap less the time waiting for a CPU {longestHeld.TotalMilliseconds:F1} ms ({heldCause}); " +
                $"peak sampled heap {peakHeap / 1048576.0:F0} MB; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB"));
        });
        return result;
    }
}
