using AsyncCore.Testing;

namespace AsyncCore.Mail.Tests;

public sealed class MailWarmUpTests : ReactorTestBase
{
    [Fact]
    public void Conversation_DeliversEveryMessage_WithNoReactor()
    {
        // The warm-up only compiles what it runs: a conversation that stopped early (a refused command, a broken
        // pipelined reuse) would leave the rest of the send path cold.
        Assert.Equal(MailWarmUp.Messages, MailWarmUp.Run());
    }

    [Fact]
    public Task WarmUp_FiresOnTheReactorThread_WithHowLongItTook() => RunOnReactor(async reactor =>
    {
        var elapsed = await Mail.WarmUp(reactor);

        Assert.True(reactor.IsReactorThread);
        Assert.True(elapsed > TimeSpan.Zero);
        return true;
    });
}
