using System.Reflection;
using System.Text.RegularExpressions;

namespace AsyncCore.Enterprise.Tests;

/// <summary>
/// The enterprise half of AsyncCore.Tests' <c>TimeApiTests</c>: durations and times in the public API are
/// <see cref="TimeSpan"/>s, never double seconds. Pure reflection: runs without a database.
/// </summary>
public partial class TimeApiTests
{
    [Fact]
    public void PublicApi_NoDoubleSecondsDelaysOrTimes()
    {
        var assembly = typeof(ConnectionPool).Assembly;
        var found = new List<string>();
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetExportedTypes())
        {
            foreach (var method in type.GetMethods(flags).Cast<MethodBase>().Concat(type.GetConstructors(flags)))
            {
                if (method is MethodInfo info && InvolvesDouble(info.ReturnType) && TimeLike().IsMatch(method.Name))
                {
                    found.Add(type.FullName + "." + method.Name + "() returns double");
                }
                found.AddRange(method.GetParameters()
                    .Where(p => InvolvesDouble(p.ParameterType) && TimeLike().IsMatch(p.Name ?? ""))
                    .Select(p => type.FullName + "." + method.Name + "(" + p.Name + ")"));
            }
        }
        Assert.Empty(found);
    }

    private static bool InvolvesDouble(Type type) =>
        type == typeof(double) || type == typeof(float) || type == typeof(decimal)
        || (type.HasElementType && InvolvesDouble(type.GetElementType()!))
        || (type.IsGenericType && type.GetGenericArguments().Any(InvolvesDouble));

    [GeneratedRegex("second|delay|time|interval|timeout|duration|period|elapsed|lag|wait|now|backoff|until|after", RegexOptions.IgnoreCase)]
    private static partial Regex TimeLike();
}
