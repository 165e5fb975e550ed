using AsyncCore.Protocols;
using AsyncCore.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace AsyncCore.Tests.Transports;

/// <summary>The producer bookkeeping both socket transports share (Twisted's FileDescriptor registerProducer rules).</summary>
public class ProducerFlowTests
{
    private sealed class PushProducer : IPushProducer
    {
        public List<string> Calls { get; } = [];

        public void PauseProducing() => Calls.Add("pause");

        public void ResumeProducing() => Calls.Add("resume");

        public void StopProducing() => Calls.Add("stop");
    }

    private sealed class PullProducer : IPullProducer
    {
        public List<string> Calls { get; } = [];

        public void ResumeProducing() => Calls.Add("resume");

        public void StopProducing() => Calls.Add("stop");
    }

    private sealed class ThrowingPullProducer : IPullProducer
    {
        public void ResumeProducing()
        {
        }

        public void StopProducing() => throw new InvalidOperationException("boom");
    }

    [Fact]
    public void Register_PullProducer_AsksForDataAtOnce()
    {
        var flow = new ProducerFlow();
        var producer = new PullProducer();
        flow.Register(producer, streaming: false, bufferedBytes: 0, closed: false);
        Assert.Equal(["resume"], producer.Calls);
        Assert.True(flow.HasPullProducer);
        Assert.True(flow.IsWaiting);
    }

    [Fact]
    public void Register_PushProducerWithBufferAboveHighWater_PausesAtOnce()
    {
        var flow = new ProducerFlow { HighWaterMark = 10 };
        var producer = new PushProducer();
        flow.Register(producer, streaming: true, bufferedBytes: 11, closed: false);
        Assert.Equal(["pause"], producer.Calls);
        Assert.True(flow.Paused);
        Assert.True(flow.IsWaiting);
    }

    [Fact]
    public void Register_OnClosedTransport_StopsProducerAndKeepsNothing()
    {
        var flow = new ProducerFlow();
        var producer = new PushProducer();
        flow.Register(producer, streaming: true, bufferedBytes: 0, closed: true);
        Assert.Equal(["stop"], producer.Calls);
        Assert.Null(flow.Producer);
    }

    [Fact]
    public void Register_WrongProducerKind_Throws()
    {
        var flow = new ProducerFlow();
        Assert.Throws<ArgumentException>(() => flow.Register(new PullProducer(), streaming: true, bufferedBytes: 0, closed: false));
        Assert.Throws<ArgumentException>(() => flow.Register(new PushProducer(), streaming: false, bufferedBytes: 0, closed: false));
        Assert.Null(flow.Producer);
    }

    [Fact]
    public void Register_Twice_ThrowsEvenWhenClosed()
    {
        var flow = new ProducerFlow();
        flow.Register(new PushProducer(), streaming: true, bufferedBytes: 0, closed: false);
        Assert.Throws<InvalidOperationException>(() => flow.Register(new PushProducer(), streaming: true, bufferedBytes: 0, closed: true));
    }

    [Fact]
    public void PauseIfAbove_ThenResumeIfBelow_PausesOnceAndResumesAtLowWater()
    {
        var flow = new ProducerFlow { HighWaterMark = 100, LowWaterMark = 20 };
        var producer = new PushProducer();
        flow.Register(producer, streaming: true, bufferedBytes: 0, closed: false);
        flow.PauseIfAbove(100);
        Assert.Empty(producer.Calls);
        flow.PauseIfAbove(101);
        flow.PauseIfAbove(500);
        Assert.Equal(["pause"], producer.Calls);
        flow.ResumeIfBelow(21);
        Assert.Equal(["pause"], producer.Calls);
        flow.ResumeIfBelow(20);
        flow.ResumeIfBelow(0);
        Assert.Equal(["pause", "resume"], producer.Calls);
        Assert.False(flow.IsWaiting);
    }

    [Fact]
    public void ResumeIfBelow_PullProducer_DoesNothing()
    {
        var flow = new ProducerFlow();
        var producer = new PullProducer();
        flow.Register(producer, streaming: false, bufferedBytes: 0, closed: false);
        flow.PauseIfAbove(1 << 20);
        flow.ResumeIfBelow(0);
        Assert.Equal(["resume"], producer.Calls);
    }

    [Fact]
    public void AskForMore_RunningPushProducer_IsLeftAlone()
    {
        var flow = new ProducerFlow();
        var producer = new PushProducer();
        flow.Register(producer, streaming: true, bufferedBytes: 0, closed: false);
        flow.AskForMore();
        Assert.Empty(producer.Calls);
    }

    [Fact]
    public void AskForMore_PausedPushProducer_IsResumed()
    {
        var flow = new ProducerFlow { HighWaterMark = 0 };
        var producer = new PushProducer();
        flow.Register(producer, streaming: true, bufferedBytes: 1, closed: false);
        flow.AskForMore();
        Assert.Equal(["pause", "resume"], producer.Calls);
        Assert.False(flow.Paused);
    }

    [Fact]
    public void Unregister_ForgetsProducer()
    {
        var flow = new ProducerFlow();
        var producer = new PullProducer();
        flow.Register(producer, streaming: false, bufferedBytes: 0, closed: false);
        flow.Unregister();
        flow.AskForMore();
        Assert.Equal(["resume"], producer.Calls);
        Assert.False(flow.IsWaiting);
    }

    [Fact]
    public void Stop_ProducerThrows_ForgetsItAndSwallowsTheError()
    {
        var flow = new ProducerFlow();
        flow.Register(new ThrowingPullProducer(), streaming: false, bufferedBytes: 0, closed: false);
        flow.Stop(NullLogger.Instance);
        Assert.Null(flow.Producer);
    }
}
