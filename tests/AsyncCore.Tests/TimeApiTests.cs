using AsyncCore.Tests.Shared;

namespace AsyncCore.Tests;

/// <summary>Guards the time vocabulary of the public API: durations and times are <see cref="TimeSpan"/>s, never double seconds.</summary>
public class TimeApiTests
{
    [Fact]
    public void PublicApi_NoDoubleSecondsDelaysOrTimes_ExceptTheTwistedSecondsHelper()
    {
        Assert.Empty(PublicTimeApi.DoubleTimeMembers(typeof(IReactorTime).Assembly));
    }

    [Fact]
    public void DoubleTimeMembers_FindsADoubleSecondsMember()
    {
        // The guard itself works: it flags what this API used to have.
        Assert.Equal(
            ["TimeApiTests+Legacy.CallLater(seconds)", "TimeApiTests+Legacy.GetTime() returns double", "TimeApiTests+Legacy.get_Now() returns double"],
            PublicTimeApi.DoubleTimeMembers(typeof(Legacy).Assembly).Where(m => m.StartsWith("TimeApiTests+Legacy", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    /// <summary>The shape this guard exists to forbid (public so that reflection over exported types sees it).</summary>
    public sealed class Legacy
    {
        /// <summary>Seconds as a double.</summary>
        public double Now => 0;

        /// <summary>A double-seconds overload.</summary>
        public void CallLater(double seconds, Action callable) => _ = (seconds, callable);

        /// <summary>A due time as double seconds.</summary>
        public double GetTime() => 0;

        /// <summary>A ratio: allowed.</summary>
        public double Factor { get; set; }
    }
}
