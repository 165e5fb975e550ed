using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Tests.Deferreds;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Reactors;

/// <summary>
/// The default reactor is the platform's fastest (issue 17): <see cref="ReactorFactory"/> decides, and
/// <c>ASYNCCORE_REACTOR</c> overrides it. These tests change that process-wide variable, hence the collection.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ReactorFactoryTests : IDisposable
{
    private readonly string? _saved = Environment.GetEnvironmentVariable(ReactorFactory.EnvironmentVariable);

    public ReactorFactoryTests() => Environment.SetEnvironmentVariable(ReactorFactory.EnvironmentVariable, null);

    public void Dispose() => Environment.SetEnvironmentVariable(ReactorFactory.EnvironmentVariable, _saved);

    private static Type PlatformDefault => OperatingSystem.IsLinux() ? typeof(EpollReactor) : typeof(EventLoopReactor);

    [Fact]
    public void Create_NothingChosen_IsEpollOnLinuxAndEventLoopElsewhere()
    {
        using var reactor = ReactorFactory.Create();
        Assert.IsType(PlatformDefault, reactor);
        Assert.Equal(OperatingSystem.IsLinux() ? ReactorKind.Epoll : ReactorKind.EventLoop, ReactorFactory.Resolve(ReactorKind.Default));
    }

    [Fact]
    public void Create_PassesTheOptions()
    {
        using var reactor = ReactorFactory.Create(options: new ReactorOptions { Name = "named" });
        Assert.Equal("named", reactor.Name);
    }

    [Theory]
    [InlineData("eventloop", typeof(EventLoopReactor))]
    [InlineData(" EventLoop ", typeof(EventLoopReactor))]
    [InlineData("epoll", null)]
    [InlineData("default", null)]
    [InlineData("", null)]
    public void Create_EnvironmentVariable_OverridesTheDefault(string value, Type? expected)
    {
        Environment.SetEnvironmentVariable(ReactorFactory.EnvironmentVariable, value);
        using var reactor = ReactorFactory.Create();
        // epoll off Linux falls back to the portable reactor, as the platform default does.
        Assert.IsType(expected ?? PlatformDefault, reactor);
    }

    [Fact]
    public void Create_ExplicitKind_WinsOverTheEnvironmentVariable()
    {
        Environment.SetEnvironmentVariable(ReactorFactory.EnvironmentVariable, "epoll");
        using var reactor = ReactorFactory.Create(ReactorKind.EventLoop);
        Assert.IsType<EventLoopReactor>(reactor);
    }

    [Fact]
    public void Create_UnknownNameInTheEnvironmentVariable_ThrowsNamingIt()
    {
        Environment.SetEnvironmentVariable(ReactorFactory.EnvironmentVariable, "select");
        var e = Assert.Throws<InvalidOperationException>(() => ReactorFactory.Create());
        Assert.Contains("ASYNCCORE_REACTOR", e.Message, StringComparison.Ordinal);
        Assert.Contains("select", e.Message, StringComparison.Ordinal);
        // An explicit kind does not read the variable, so it is not refused.
        using var reactor = ReactorFactory.Create(ReactorKind.EventLoop);
    }

    [Fact]
    public void Create_UndefinedKind_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ReactorFactory.Create((ReactorKind)42));

    [Theory]
    [InlineData(null, ReactorKind.Default, true)]
    [InlineData("  ", ReactorKind.Default, true)]
    [InlineData("DEFAULT", ReactorKind.Default, true)]
    [InlineData("Epoll", ReactorKind.Epoll, true)]
    [InlineData("eventloop", ReactorKind.EventLoop, true)]
    [InlineData("event-loop", ReactorKind.Default, false)]
    public void TryParse_ReadsTheRunnerNames(string? name, ReactorKind kind, bool ok)
    {
        Assert.Equal(ok, ReactorFactory.TryParse(name, out var parsed));
        Assert.Equal(kind, parsed);
    }

    [Fact]
    public void React_WithoutAReactor_RunsMainOnTheDefaultReactor()
    {
        Type? seen = null;
        var code = ReactorMain.React(reactor =>
        {
            seen = reactor.GetType();
            return Deferred.Succeed(3);
        });
        Assert.Equal(3, code);
        Assert.Equal(PlatformDefault, seen);
    }

    [Fact]
    public void React_EnvironmentVariable_ChoosesTheReactor()
    {
        Environment.SetEnvironmentVariable(ReactorFactory.EnvironmentVariable, "eventloop");
        NetworkReactorBase? seen = null;
        ReactorMain.React(reactor =>
        {
            seen = reactor;
            return Deferred.Succeed(0);
        });
        Assert.IsType<EventLoopReactor>(seen);
    }
}
