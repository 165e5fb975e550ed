using System.Diagnostics;
using System.Globalization;

namespace AsyncCore.Tests;

/// <summary>
/// Runs a fuzz test within a fixed time budget: half of it on cases drawn from a fixed seed (the same cases every run,
/// as far as the machine's speed reaches), half from a seed chosen at random. Every case gets its own seed, and a
/// failing case names it: setting <c>ASYNCCORE_FUZZ_SEED</c> to it reruns exactly that case.
/// </summary>
internal static class Fuzz
{
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(1.5);

    /// <summary>Runs <paramref name="check"/> on cases until the budget is spent; returns how many ran.</summary>
    public static int Run(string name, int fixedSeed, Action<Random> check, TimeSpan? budget = null)
    {
        var only = Environment.GetEnvironmentVariable("ASYNCCORE_FUZZ_SEED");
        if (int.TryParse(only, NumberStyles.Integer, CultureInfo.InvariantCulture, out var caseSeed))
        {
            RunCase(name, "ASYNCCORE_FUZZ_SEED", caseSeed, 0, caseSeed, check);
            return 1;
        }
        var half = (budget ?? DefaultBudget) / 2;
        var count = Loop(name, "fixed", fixedSeed, half, check);
        count += Loop(name, "random", Random.Shared.Next(), half, check);
        return count;
    }

    private static int Loop(string name, string kind, int seed, TimeSpan budget, Action<Random> check)
    {
        var seeds = new Random(seed);
        var clock = Stopwatch.StartNew();
        var count = 0;
        do
        {
            RunCase(name, kind, seed, count, seeds.Next(), check);
            count++;
        }
        while (clock.Elapsed < budget);
        return count;
    }

    private static void RunCase(string name, string kind, int seed, int index, int caseSeed, Action<Random> check)
    {
        try
        {
            check(new Random(caseSeed));
        }
        catch (Exception e)
        {
            throw new FuzzCaseFailedException(
                $"{name}: case {index} of the {kind} seed {seed} failed; rerun it alone with ASYNCCORE_FUZZ_SEED={caseSeed}. {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>Splits <paramref name="length"/> bytes into random chunk lengths (sometimes one byte at a time).</summary>
    public static List<int> Chunking(Random random, int length)
    {
        var chunks = new List<int>();
        var mode = random.Next(4);
        var largest = mode switch
        {
            0 => 1,
            1 => 3,
            2 => 16,
            _ => Math.Max(1, length),
        };
        for (var done = 0; done < length;)
        {
            var size = Math.Min(length - done, 1 + random.Next(largest));
            chunks.Add(size);
            done += size;
        }
        return chunks;
    }
}

/// <summary>A fuzz case failed; the message names its seed.</summary>
internal sealed class FuzzCaseFailedException(string message, Exception inner) : Exception(message, inner);
