using AsyncCore.Tests.Shared;

namespace AsyncCore.Enterprise.Tests;

/// <summary>The enterprise half of the time-vocabulary guard (see tests/Shared/PublicTimeApi.cs); needs no database.</summary>
public class TimeApiTests
{
    [Fact]
    public void PublicApi_NoDoubleSecondsDelaysOrTimes() =>
        Assert.Empty(PublicTimeApi.DoubleTimeMembers(typeof(ConnectionPool).Assembly));
}
