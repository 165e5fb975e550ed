using System.Security.Cryptography;
using AsyncCore.Protocols;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Transports;

/// <summary>A reactor running on its own thread for tests on real sockets, with helpers to run code on it.</summary>
internal sealed class RunningReactor : IDisposable
{
    private readonly Thread _thread;

    /// <summary>Starts an <see cref="EventLoopReactor"/>, or an <see cref="EpollReactor"/> when <paramref name="epoll"/> is set.</summary>
    public RunningReactor(bool epoll = false, ReactorOptions? options = null)
    {
        Reactor = epoll && OperatingSystem.IsLinux() ? new EpollReactor(options) : new EventLoopReactor(options);
        _thread = new Thread(Reactor.Run) { IsBackground = true, Name = "test reactor" };
        _thread.Start();
    }

    public NetworkReactorBase Reactor { get; }

    /// <summary>Runs <paramref name="start"/> on the reactor thread and waits (bounded) for its Deferred.</summary>
    public Task<T> Call<T>(Func<Deferred<T>> start)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Reactor.CallFromThread(() =>
        {
            try
            {
                start().AddBoth(outcome =>
                {
                    if (outcome.Succeeded)
                    {
                        result.TrySetResult(outcome.Value);
                    }
                    else
                    {
                        result.TrySetException(outcome.Failure!.Value);
                    }
                    return 0;
                });
            }
            catch (Exception e)
            {
                result.TrySetException(e);
            }
        });
        return result.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }

    /// <summary>Runs <paramref name="action"/> on the reactor thread and waits for it.</summary>
    public Task<T> Run<T>(Func<T> action) => Call(() => Deferred.Succeed(action()));

    public void Dispose()
    {
        Reactor.CallFromThread(() =>
        {
            if (Reactor.Running && !Reactor.Stopping)
            {
                Reactor.Stop();
            }
        });
        _thread.Join(TimeSpan.FromSeconds(30));
        (Reactor as IDisposable)?.Dispose();
    }
}

/// <summary>Echoes everything back.</summary>
internal sealed class EchoProtocol : Protocol
{
    public override void DataReceived(ReadOnlySpan<byte> data) => Transport.Write(data);
}

/// <summary>Collects what arrives and completes when the connection is lost.</summary>
internal class CollectingProtocol : Protocol
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Fires with the reason's exception (a Deferred fired with a Failure would take the error path).</summary>
    public Deferred<Exception> Lost { get; } = new();

    public Deferred<ITransport> Made { get; } = new();

    public long Count { get; private set; }

    public MemoryStream? Kept { get; init; } = new();

    public Action<CollectingProtocol>? OnData { get; set; }

    public byte[] Hash() => _hash.GetHashAndReset();

    public override void ConnectionMade() => Made.Callback(Transport);

    public override void DataReceived(ReadOnlySpan<byte> data)
    {
        Count += data.Length;
        _hash.AppendData(data);
        Kept?.Write(data);
        OnData?.Invoke(this);
    }

    public override void ConnectionLost(Failure reason)
    {
        base.ConnectionLost(reason);
        Lost.Callback(reason.Value);
    }
}

/// <summary>Writes a fixed amount of data as a push producer, watching the transport's buffer.</summary>
internal sealed class PushSender(long total, int chunk) : Protocol, IPushProducer
{
    private readonly byte[] _chunk = RandomNumberGenerator.GetBytes(chunk);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _sent;
    private bool _paused;

    public long MaxBuffered { get; private set; }

    public int Pauses { get; private set; }

    public Deferred<byte[]> Done { get; } = new();

    public override void ConnectionMade()
    {
        Transport.RegisterProducer(this, streaming: true);
        ResumeProducing();
    }

    public void PauseProducing()
    {
        _paused = true;
        Pauses++;
    }

    public void ResumeProducing()
    {
        _paused = false;
        while (!_paused && _sent < total)
        {
            var n = (int)Math.Min(chunk, total - _sent);
            _hash.AppendData(_chunk, 0, n);
            Transport.Write(_chunk.AsSpan(0, n));
            _sent += n;
            if (Transport is AsyncCore.Transports.IWriteBuffered tcp)
            {
                MaxBuffered = Math.Max(MaxBuffered, tcp.BufferedBytes);
            }
        }
        if (_sent == total && !Done.Called)
        {
            Transport.UnregisterProducer();
            Transport.LoseConnection();
            Done.Callback(_hash.GetHashAndReset());
        }
    }

    public void StopProducing() => _paused = true;
}

internal static class ExceptionChecks
{
    public static bool Check<T>(this Exception exception) where T : Exception => exception is T;
}
