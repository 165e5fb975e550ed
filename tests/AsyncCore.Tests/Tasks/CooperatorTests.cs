using System.Collections;
using AsyncCore.Tasks;

namespace AsyncCore.Tests.Tasks;

/// <summary>From Twisted's test_cooperator.py (CooperatorTests, RunStateTests), on virtual time.</summary>
public class CooperatorTests
{
    /// <summary>A cooperator whose ticks run <paramref name="stepsPerTick"/> steps, one tick per virtual second on <paramref name="clock"/>.</summary>
    private static Cooperator Create(Clock clock, int stepsPerTick = int.MaxValue, bool started = true) =>
        new(() =>
        {
            var steps = 0;
            return () => ++steps >= stepsPerTick;
        }, tick => clock.CallLater(TimeSpan.FromSeconds(1), tick), started);

    private static IEnumerable<Deferred?> Steps(List<string> log, string name, int count)
    {
        for (var i = 0; i < count; i++)
        {
            log.Add($"{name}{i}");
            yield return null;
        }
    }

    [Fact]
    public void Coiterate_TwoIterators_AreInterleavedRoundRobin()
    {
        var clock = new Clock();
        var cooperator = Create(clock, stepsPerTick: 1);
        var log = new List<string>();
        var a = cooperator.Coiterate(Steps(log, "a", 3));
        var b = cooperator.Coiterate(Steps(log, "b", 3));
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(["a0", "b0", "a1", "b1", "a2", "b2"], log);
        Assert.True(a.HasResult);
        Assert.True(b.HasResult);
    }

    [Fact]
    public void Coiterate_Exhausted_FiresWithTheIterator()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        var iterator = Steps([], "x", 2).GetEnumerator();
        var d = cooperator.Coiterate(iterator);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Same(iterator, d.Result);
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void Coiterate_IteratorThrows_FailsWithTheException()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        static IEnumerable<Deferred?> Failing()
        {
            yield return null;
            throw new FormatException("step failed");
        }
        var d = cooperator.Coiterate(Failing());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Throws<FormatException>(() => d.Result);
    }

    [Fact]
    public void Coiterate_YieldedDeferred_PausesTheTaskUntilItFires()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        var gate = new Deferred<int>();
        var log = new List<string>();
        IEnumerable<Deferred?> Waiting()
        {
            log.Add("before");
            yield return gate;
            log.Add("after");
        }
        var d = cooperator.Coiterate(Waiting());
        cooperator.Coiterate(Steps(log, "other", 2));
        clock.Advance(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["before", "other0", "other1"], log);
        Assert.False(d.Called);
        gate.Callback(1);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["before", "other0", "other1", "after"], log);
        Assert.True(d.HasResult);
    }

    [Fact]
    public void Coiterate_YieldedDeferredFails_TaskFailsWithIt()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        var d = cooperator.Coiterate(new Deferred?[] { Deferred.Fail<int>(new IOException("send failed")) });
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Throws<IOException>(() => d.Result);
    }

    [Fact]
    public void Cooperator_StepsPerTick_LimitsOneTick()
    {
        var clock = new Clock();
        var cooperator = new Cooperator(() =>
        {
            var steps = 0;
            return () => ++steps >= 3;
        }, tick => clock.CallLater(TimeSpan.FromSeconds(1), tick));
        var log = new List<string>();
        cooperator.Coiterate(Steps(log, "s", 10));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, log.Count);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(6, log.Count);
    }

    [Fact]
    public void Task_PauseAndResume_StopsAndRestartsSteps()
    {
        var clock = new Clock();
        var cooperator = Create(clock, stepsPerTick: 1);
        var log = new List<string>();
        var task = cooperator.Cooperate(Steps(log, "t", 5));
        clock.Advance(TimeSpan.FromSeconds(1));
        task.Pause();
        clock.Advance(TimeSpan.FromSeconds(1));
        var whilePaused = log.Count;
        Assert.Equal(0, cooperator.TaskCount);
        task.Resume();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(log.Count > whilePaused);
    }

    [Fact]
    public void Task_ResumeWhenNotPaused_ThrowsNotPaused()
    {
        var cooperator = Create(new Clock());
        var task = cooperator.Cooperate(Steps([], "t", 1));
        Assert.Throws<NotPausedException>(task.Resume);
    }

    [Fact]
    public void Task_PausedTwice_NeedsTwoResumes()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        var log = new List<string>();
        var task = cooperator.Cooperate(Steps(log, "t", 3));
        task.Pause();
        task.Pause();
        task.Resume();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(log);
        task.Resume();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, log.Count);
    }

    [Fact]
    public void Task_PausedWhileWaitingOnDeferred_NeedsBothTheDeferredAndAResume()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        var gate = new Deferred<int>();
        var log = new List<string>();
        IEnumerable<Deferred?> Waiting()
        {
            yield return gate;
            log.Add("resumed");
        }
        var task = cooperator.Cooperate(Waiting());
        clock.Advance(TimeSpan.FromSeconds(1));
        task.Pause();
        gate.Callback(0);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(log);
        task.Resume();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["resumed"], log);
    }

    [Fact]
    public void Task_Stop_WhenDoneFailsWithTaskStoppedAndStepsStop()
    {
        var clock = new Clock();
        var cooperator = Create(clock, stepsPerTick: 1);
        var log = new List<string>();
        var task = cooperator.Cooperate(Steps(log, "t", 10));
        var done = task.WhenDone();
        clock.Advance(TimeSpan.FromSeconds(1));
        task.Stop();
        var count = log.Count;
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(count, log.Count);
        Assert.Throws<TaskStoppedException>(() => done.Result);
        Assert.Throws<TaskStoppedException>(task.Pause);
        Assert.Throws<TaskStoppedException>(task.Stop);
    }

    [Fact]
    public void Task_StopWhileWaitingOnDeferred_LaterFiringDoesNotResume()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        var gate = new Deferred<int>();
        var log = new List<string>();
        IEnumerable<Deferred?> Waiting()
        {
            yield return gate;
            log.Add("resumed");
        }
        var task = cooperator.Cooperate(Waiting());
        clock.Advance(TimeSpan.FromSeconds(1));
        task.Stop();
        gate.Callback(0);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(log);
    }

    [Fact]
    public void Task_Exhausted_PauseThrowsTaskDoneAndWhenDoneFiresAtOnce()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        var task = cooperator.Cooperate(Steps([], "t", 1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Throws<TaskDoneException>(task.Pause);
        Assert.Throws<TaskDoneException>(task.Stop);
        Assert.True(task.WhenDone().HasResult);
    }

    [Fact]
    public void Task_Errored_StopThrowsTaskFailed()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        static IEnumerable Failing()
        {
            throw new FormatException();
#pragma warning disable CS0162 // an iterator needs a yield
            yield return null;
#pragma warning restore CS0162
        }
        var task = cooperator.Cooperate(Failing());
        var done = task.WhenDone();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Throws<TaskFailedException>(task.Stop);
        Assert.Throws<FormatException>(() => done.Result);
    }

    [Fact]
    public void Stop_Cooperator_OutstandingTasksFailWithSchedulerStopped()
    {
        var clock = new Clock();
        var cooperator = Create(clock, stepsPerTick: 1);
        var d = cooperator.Coiterate(Steps([], "t", 10));
        clock.Advance(TimeSpan.FromSeconds(1));
        cooperator.Stop();
        Assert.Throws<SchedulerStoppedException>(() => d.Result);
        Assert.False(cooperator.Running);
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void Stop_Cooperator_NewTasksFailAtOnce()
    {
        var cooperator = Create(new Clock());
        cooperator.Stop();
        var d = cooperator.Coiterate(Steps([], "t", 1));
        Assert.Throws<SchedulerStoppedException>(() => d.Result);
    }

    [Fact]
    public void Cooperator_NotStarted_QueuesWorkUntilStart()
    {
        var clock = new Clock();
        var cooperator = Create(clock, started: false);
        var log = new List<string>();
        var d = cooperator.Coiterate(Steps(log, "t", 2));
        Assert.False(cooperator.Running);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(log);
        cooperator.Start();
        Assert.True(cooperator.Running);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(d.HasResult);
    }

    [Fact]
    public void Cooperator_LastTaskRemoved_CancelsTheScheduledTick()
    {
        var clock = new Clock();
        var cooperator = Create(clock);
        var task = cooperator.Cooperate(Steps([], "t", 5));
        Assert.Single(clock.GetDelayedCalls());
        task.Pause();
        Assert.Empty(clock.GetDelayedCalls());
    }

    [Fact]
    public void Cooperator_OnARealReactor_SendsManyItemsWithoutStarvingOtherWork()
    {
        var reactor = Reactor.ReactorTestSupport.Create(out _);
        var cooperator = new Cooperator(reactor, TimeSpan.FromMilliseconds(1));
        var sent = 0;
        var otherWork = 0;
        IEnumerable<Deferred?> SendAll()
        {
            for (var i = 0; i < 20_000; i++)
            {
                sent++;
                yield return null;
            }
        }
        reactor.CallWhenRunning(() =>
        {
            IDelayedCall? ping = null;
            void Ping()
            {
                otherWork++;
                ping = reactor.CallLater(TimeSpan.Zero, Ping);
            }
            Ping();
            cooperator.Coiterate(SendAll()).AddCallback(_ =>
            {
                ping!.Cancel();
                reactor.Stop();
            });
        });
        Reactor.ReactorTestSupport.RunWithSafetyNet(reactor);
        Assert.Equal(20_000, sent);
        Assert.True(otherWork > 1, "Other timers never ran while the cooperator worked.");
    }
}
