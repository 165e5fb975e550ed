using AsyncCore.Application;

namespace AsyncCore.Tests.Application;

/// <summary>Service and MultiService, from Twisted's twisted/test/test_application.py ServiceTests and more.</summary>
public class ServiceTests
{
    /// <summary>Records its calls in a shared journal and can delay or fail its stop.</summary>
    private sealed class Recorder(string name, List<string> journal) : Service(name)
    {
        public Deferred<object?>? StopWith { get; set; }

        public Exception? StartThrows { get; set; }

        public Exception? StopThrows { get; set; }

        public bool PrivilegedStarted { get; private set; }

        public override void PrivilegedStartService()
        {
            base.PrivilegedStartService();
            PrivilegedStarted = true;
            journal.Add("privileged " + Name);
        }

        public override void StartService()
        {
            journal.Add("start " + Name);
            if (StartThrows is { } e)
            {
                throw e;
            }
            base.StartService();
        }

        public override Deferred? StopService()
        {
            journal.Add("stop " + Name);
            _ = base.StopService();
            return StopThrows is { } e ? throw e : StopWith;
        }
    }

    [Fact]
    public void Name_IsKept()
    {
        var s = new Service { Name = "hello" };
        Assert.Equal("hello", s.Name);
    }

    [Fact]
    public void SetServiceParent_MakesItAChild()
    {
        var s = new Service();
        var p = new MultiService();
        s.SetServiceParent(p);
        Assert.Equal([s], p);
        Assert.Same(p, s.Parent);
    }

    [Fact]
    public void ApplicationService_IsAParent()
    {
        var s = new Service();
        var p = new ApplicationService("");
        s.SetServiceParent(p);
        Assert.Equal([s], p);
        Assert.Same(p, s.Parent);
    }

    [Fact]
    public void NamedChild_IsFoundByName()
    {
        var s = new Service("hello");
        var p = new MultiService();
        s.SetServiceParent(p);
        Assert.Same(s, p.GetServiceNamed("hello"));
        Assert.True(p.TryGetServiceNamed("hello", out var found));
        Assert.Same(s, found);
    }

    [Fact]
    public void GetServiceNamed_UnknownName_Throws()
    {
        var p = new MultiService();
        new Service("a").SetServiceParent(p);
        Assert.Throws<KeyNotFoundException>(() => p.GetServiceNamed("b"));
        Assert.False(p.TryGetServiceNamed("b", out _));
    }

    [Fact]
    public void NamedChild_CannotBeRenamedWhileItHasAParent()
    {
        var s = new Service("hello");
        s.SetServiceParent(new MultiService());
        Assert.Throws<InvalidOperationException>(() => s.Name = "lala");
        _ = s.DisownServiceParent();
        s.Name = "lala";
        Assert.Equal("lala", s.Name);
    }

    [Fact]
    public void DuplicateName_IsRefused_AndTheServiceStaysParentless()
    {
        var p = new MultiService();
        var first = new Service("hello");
        first.SetServiceParent(p);
        var second = new Service("hello");
        Assert.Throws<InvalidOperationException>(() => second.SetServiceParent(p));
        Assert.Null(second.Parent);
        Assert.Equal([first], p);
        Assert.Same(first, p.GetServiceNamed("hello"));
    }

    [Fact]
    public void Disowning_RemovesTheChild_AndFreesItsName()
    {
        var s = new Service("hello");
        var p = new MultiService();
        s.SetServiceParent(p);
        Assert.Null(s.DisownServiceParent());
        Assert.Empty(p);
        Assert.Null(s.Parent);
        new Service("hello").SetServiceParent(p);
        Assert.Single(p);
    }

    [Fact]
    public void Disowning_WithoutAParent_Throws() =>
        Assert.Throws<InvalidOperationException>(() => new Service().DisownServiceParent());

    [Fact]
    public void RemoveService_OfAStranger_Throws() =>
        Assert.Throws<ArgumentException>(() => new MultiService().RemoveService(new Service()));

    [Fact]
    public void AddService_CalledDirectly_SetsTheParent_AndRemoveServiceClearsIt()
    {
        var s = new Service("x");
        var p = new MultiService();
        p.AddService(s);
        Assert.Same(p, s.Parent);
        Assert.Same(s, p.GetServiceNamed("x"));
        Assert.Null(p.RemoveService(s));
        Assert.Null(s.Parent);
        Assert.Empty(p);
    }

    [Fact]
    public void Reparenting_MovesTheChild_AndStopsItIfTheOldParentRan()
    {
        var journal = new List<string>();
        var s = new Recorder("s", journal);
        var old = new MultiService();
        var next = new MultiService();
        s.SetServiceParent(old);
        old.StartService();
        Assert.True(s.Running);
        s.SetServiceParent(next);
        Assert.Empty(old);
        Assert.Equal([s], next);
        Assert.Same(next, s.Parent);
        Assert.False(s.Running);
        Assert.Equal(["start s", "stop s"], journal);
    }

    [Fact]
    public void Running_FollowsStartAndStop()
    {
        var s = new Service();
        Assert.False(s.Running);
        s.StartService();
        Assert.True(s.Running);
        Assert.Null(s.StopService());
        Assert.False(s.Running);
    }

    [Fact]
    public void RunningChildren_StartAndStopWithTheParent()
    {
        var s = new Service();
        var p = new MultiService();
        s.SetServiceParent(p);
        Assert.False(s.Running);
        Assert.False(p.Running);
        p.StartService();
        Assert.True(s.Running);
        Assert.True(p.Running);
        Assert.True(p.StopService().HasResult);
        Assert.False(s.Running);
        Assert.False(p.Running);
    }

    [Fact]
    public void Children_StartInOrder_AndStopInReverse()
    {
        var journal = new List<string>();
        var p = new MultiService();
        foreach (var name in new[] { "a", "b", "c" })
        {
            new Recorder(name, journal).SetServiceParent(p);
        }
        p.StartService();
        _ = p.StopService();
        Assert.Equal(["start a", "start b", "start c", "stop c", "stop b", "stop a"], journal);
    }

    [Fact]
    public void LaterSibling_SeesTheEarlierOneRunning_AtStartAndStop()
    {
        // Twisted's testRunningChildren2: the first child is running while the second starts, and still running
        // while the second stops (stop goes in reverse).
        var s = new Service();
        var seen = new List<bool>();
        var t = new Probe(() => seen.Add(s.Running));
        var p = new MultiService();
        s.SetServiceParent(p);
        t.SetServiceParent(p);
        p.StartService();
        _ = p.StopService();
        Assert.Equal([true, true], seen);
    }

    private sealed class Probe(Action check) : Service
    {
        public override void StartService()
        {
            check();
            base.StartService();
        }

        public override Deferred? StopService()
        {
            check();
            return base.StopService();
        }
    }

    [Fact]
    public void AddingToARunningParent_StartsTheChild_AndDisowningStopsIt()
    {
        var journal = new List<string>();
        var p = new MultiService();
        p.StartService();
        var s = new Recorder("s", journal);
        Assert.False(s.Running);
        s.SetServiceParent(p);
        Assert.True(s.Running);
        Assert.True(s.PrivilegedStarted);
        _ = s.DisownServiceParent();
        Assert.False(s.Running);
        Assert.Equal(["privileged s", "start s", "stop s"], journal);
    }

    [Fact]
    public void RemovingARunningChild_ReturnsItsStopDeferred()
    {
        var journal = new List<string>();
        var p = new MultiService();
        var s = new Recorder("s", journal) { StopWith = new Deferred<object?>() };
        s.SetServiceParent(p);
        p.StartService();
        var d = s.DisownServiceParent();
        Assert.Same(s.StopWith, d);
    }

    [Fact]
    public void PrivilegedStart_ReachesEveryChild()
    {
        var journal = new List<string>();
        var s = new Recorder("s", journal);
        var s1 = new Recorder("s1", journal);
        var p = new MultiService();
        s.SetServiceParent(p);
        s1.SetServiceParent(p);
        p.PrivilegedStartService();
        Assert.True(s.PrivilegedStarted);
        Assert.True(s1.PrivilegedStarted);
        Assert.False(p.Running);
    }

    [Fact]
    public void StopService_WaitsForEveryChildsDeferred()
    {
        var journal = new List<string>();
        var p = new MultiService();
        var a = new Recorder("a", journal) { StopWith = new Deferred<object?>() };
        var b = new Recorder("b", journal) { StopWith = new Deferred<object?>() };
        a.SetServiceParent(p);
        b.SetServiceParent(p);
        p.StartService();
        var stopped = p.StopService();
        Assert.False(stopped.HasResult);
        Assert.False(p.Running);
        a.StopWith.Callback(null);
        Assert.False(stopped.HasResult);
        b.StopWith.Callback(null);
        Assert.True(stopped.HasResult);
        Assert.Null(stopped.Result);
    }

    [Fact]
    public void StopService_ReportsEveryFailure_AndStillStopsTheOthers()
    {
        var journal = new List<string>();
        var p = new MultiService();
        var a = new Recorder("a", journal) { StopThrows = new InvalidOperationException("a broke") };
        var b = new Recorder("b", journal);
        var c = new Recorder("c", journal) { StopWith = new Deferred<object?>() };
        a.SetServiceParent(p);
        b.SetServiceParent(p);
        c.SetServiceParent(p);
        p.StartService();
        var stopped = p.StopService();
        Assert.Equal(["start a", "start b", "start c", "stop c", "stop b", "stop a"], journal);
        Assert.False(stopped.HasResult);
        c.StopWith.Errback(new TimeoutException("c hung"));
        var error = Assert.IsType<ServiceStopException>(stopped.ConsumeFailure()!.Value);
        Assert.Equal([c, a], error.Failures.Select(f => f.Service));
        Assert.IsType<TimeoutException>(error.InnerExceptions[0]);
        Assert.IsType<InvalidOperationException>(error.InnerExceptions[1]);
        Assert.Contains("c hung", error.Message, StringComparison.Ordinal);
        Assert.Contains("a broke", error.Message, StringComparison.Ordinal);
        Assert.False(b.Running);
    }

    [Fact]
    public void StartFailure_Propagates_AndLaterChildrenDoNotStart()
    {
        var journal = new List<string>();
        var p = new MultiService();
        new Recorder("a", journal).SetServiceParent(p);
        new Recorder("b", journal) { StartThrows = new InvalidOperationException("no") }.SetServiceParent(p);
        var c = new Recorder("c", journal);
        c.SetServiceParent(p);
        Assert.Throws<InvalidOperationException>(p.StartService);
        Assert.False(c.Running);
        _ = p.StopService();
        Assert.Equal(["start a", "start b", "stop c", "stop b", "stop a"], journal);
    }

    [Fact]
    public void NestedMultiServices_StopWaitsForGrandchildren()
    {
        var journal = new List<string>();
        var root = new MultiService();
        var inner = new MultiService("inner");
        inner.SetServiceParent(root);
        var leaf = new Recorder("leaf", journal) { StopWith = new Deferred<object?>() };
        leaf.SetServiceParent(inner);
        root.StartService();
        Assert.True(leaf.Running);
        var stopped = root.StopService();
        Assert.False(stopped.HasResult);
        leaf.StopWith.Callback(null);
        Assert.True(stopped.HasResult);
    }
}
