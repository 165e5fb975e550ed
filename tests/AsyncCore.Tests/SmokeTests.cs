namespace AsyncCore.Tests;

public class SmokeTests
{
    [Fact]
    public void Callback_ThenAddCallback_RunsSynchronously()
    {
        var d = new Deferred<int>();
        var seen = new List<string>();
        d.AddCallback(x => x * 2).AddCallback(x => seen.Add($"got {x}"));
        Assert.Empty(seen);
        d.Callback(21);
        Assert.Equal(["got 42"], seen);
    }
}
