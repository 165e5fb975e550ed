using System.Net;
using AsyncCore.Application;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Tests.Reactor;
using Microsoft.Extensions.Logging;

namespace AsyncCore.Tests.Application;

/// <summary>StreamServerEndpointService on a scripted endpoint (Twisted's EndpointServiceTests).</summary>
public class StreamServerEndpointServiceTests
{
    private sealed class FakePort : IListeningPort
    {
        public Deferred<object?>? Stopping { get; private set; }

        public Deferred<object?> StopListening() => Stopping = new Deferred<object?>();

        public EndPoint GetHost() => new IPEndPoint(IPAddress.Loopback, 1);
    }

    private sealed class FakeServer : IStreamServerEndpoint
    {
        public Deferred<IListeningPort>? Result { get; private set; }

        public Factory? Factory { get; private set; }

        public Exception? FailImmediately { get; set; }

        public Exception CancelException { get; set; } = new CancelledException();

        public int ListenAttempts { get; private set; }

        public FakePort Port { get; } = new();

        public Deferred<IListeningPort> Listen(Factory factory)
        {
            ListenAttempts++;
            Factory = factory;
            Result = new Deferred<IListeningPort>(d => d.Errback(CancelException));
            if (FailImmediately is { } e)
            {
                Result.Errback(e);
            }
            return Result;
        }

        public void StartedListening() => Result!.Callback(Port);

        public void StoppedListening() => Port.Stopping!.Callback(null);
    }

    private readonly FakeServer _server = new();
    private readonly Factory _factory = new ServerFactory(() => new AsyncCore.Tests.Transports.EchoProtocol());
    private readonly StreamServerEndpointService _service;

    public StreamServerEndpointServiceTests() => _service = new StreamServerEndpointService(_server, _factory);

    private static (IDisposable Installed, LogCapture Logs) CaptureLogs()
    {
        var logs = new LogCapture();
        return (new UnhandledFailureTracker("test", logs).Install(), logs);
    }

    [Fact]
    public void PrivilegedStartService_ListensWithTheFactory()
    {
        _service.PrivilegedStartService();
        Assert.Same(_factory, _server.Factory);
        Assert.False(_service.Running);
    }

    [Fact]
    public void RaiseSynchronously_ImmediateListenFailure_ThrowsFromStartService()
    {
        _server.FailImmediately = new DivideByZeroException();
        _service.RaiseSynchronously = true;
        Assert.Throws<DivideByZeroException>(_service.StartService);
    }

    [Fact]
    public void RaiseSynchronously_ImmediateListenFailure_ThrowsFromPrivilegedStartService()
    {
        _server.FailImmediately = new DivideByZeroException();
        _service.RaiseSynchronously = true;
        Assert.Throws<DivideByZeroException>(_service.PrivilegedStartService);
    }

    [Fact]
    public void LaterListenFailure_IsLogged_EvenWithRaiseSynchronously()
    {
        var (installed, logs) = CaptureLogs();
        using (installed)
        {
            _service.RaiseSynchronously = true;
            _service.StartService();
            _server.Result!.Errback(new DivideByZeroException());
        }
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Error && e.Exception is DivideByZeroException);
        Assert.IsType<DivideByZeroException>(_service.WhenListening().ConsumeFailure()!.Value);
    }

    [Fact]
    public void ImmediateListenFailure_WithoutRaiseSynchronously_IsLogged()
    {
        var (installed, logs) = CaptureLogs();
        using (installed)
        {
            _server.FailImmediately = new DivideByZeroException();
            _service.StartService();
        }
        Assert.Single(logs.Entries, e => e.Exception is DivideByZeroException);
    }

    [Fact]
    public void StartService_Unstarted_ListensAndRuns()
    {
        _service.StartService();
        Assert.Same(_factory, _server.Factory);
        Assert.True(_service.Running);
    }

    [Fact]
    public void StartService_AfterPrivilegedStart_DoesNotListenAgain()
    {
        _service.PrivilegedStartService();
        _service.StartService();
        Assert.Equal(1, _server.ListenAttempts);
        Assert.True(_service.Running);
    }

    [Fact]
    public void StopService_StopsListening_AndFiresWhenThePortIsClosed()
    {
        _service.PrivilegedStartService();
        _server.StartedListening();
        _service.StartService();
        var result = _service.StopService();
        Assert.False(result.HasResult);
        Assert.True(_service.Running);
        _server.StoppedListening();
        Assert.True(result.HasResult);
        Assert.False(_service.Running);
        Assert.Null(_service.Port);
    }

    [Fact]
    public void StopService_BeforeListening_CancelsQuietly()
    {
        var (installed, logs) = CaptureLogs();
        using (installed)
        {
            _service.PrivilegedStartService();
            var result = _service.StopService();
            Assert.True(result.HasResult);
            Assert.Null(result.Result);
        }
        Assert.Empty(logs.Entries);
    }

    [Fact]
    public void StopService_CancelFailingWithAnotherError_IsLogged()
    {
        var (installed, logs) = CaptureLogs();
        using (installed)
        {
            _server.CancelException = new DivideByZeroException();
            _service.PrivilegedStartService();
            var result = _service.StopService();
            Assert.Null(result.Result);
        }
        Assert.Single(logs.Entries, e => e.Exception is DivideByZeroException);
    }

    [Fact]
    public void WhenListening_FiresWithThePort_BeforeAndAfterListening()
    {
        var early = _service.WhenListening();
        _service.StartService();
        Assert.False(early.HasResult);
        _server.StartedListening();
        Assert.Same(_server.Port, early.Result);
        Assert.Same(_server.Port, _service.WhenListening().Result);
        Assert.Same(_server.Port, _service.Port);
    }

    [Fact]
    public void WhenListening_StopBeforeListening_FailsWithCancelled()
    {
        _service.StartService();
        var waiting = _service.WhenListening();
        _ = _service.StopService();
        Assert.IsType<CancelledException>(waiting.ConsumeFailure()!.Value);
    }

    [Fact]
    public void Restart_AfterStop_ListensAgain()
    {
        _service.StartService();
        _server.StartedListening();
        var stopped = _service.StopService();
        _server.StoppedListening();
        Assert.True(stopped.HasResult);
        _service.StartService();
        Assert.Equal(2, _server.ListenAttempts);
    }
}
