using System.Diagnostics;

namespace Brummer.LoadTest;

/// <summary>Every latency one worker recorded, in Stopwatch ticks; one per worker, so recording takes no lock.</summary>
internal sealed class LatencyLog
{
    private long[] _ticks = new long[4096];

    public int Count { get; private set; }

    public void Add(long ticks)
    {
        if (Count == _ticks.Length)
        {
            Array.Resize(ref _ticks, _ticks.Length * 2);
        }

        _ticks[Count++] = ticks;
    }

    public ReadOnlySpan<long> Recorded => _ticks.AsSpan(0, Count);
}

/// <summary>Exact percentiles (nearest rank) over every recorded latency, in milliseconds.</summary>
internal sealed record LatencySummary(int Count, double P50, double P90, double P99, double P999, double Max, double Mean)
{
    public static readonly LatencySummary Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static LatencySummary From(IEnumerable<LatencyLog> logs)
    {
        var all = new List<long>();
        foreach (var log in logs)
        {
            foreach (var ticks in log.Recorded)
            {
                all.Add(ticks);
            }
        }

        return FromTicks(all);
    }

    public static LatencySummary FromTicks(List<long> ticks)
    {
        if (ticks.Count == 0)
        {
            return Empty;
        }

        ticks.Sort();
        return new LatencySummary(
            ticks.Count,
            Ms(Rank(ticks, 0.50)),
            Ms(Rank(ticks, 0.90)),
            Ms(Rank(ticks, 0.99)),
            Ms(Rank(ticks, 0.999)),
            Ms(ticks[^1]),
            Ms((long)ticks.Average()));
    }

    /// <summary>The same, for values already in milliseconds (staleness samples, which may be negative by clock jitter).</summary>
    public static LatencySummary FromMilliseconds(List<double> values)
    {
        if (values.Count == 0)
        {
            return Empty;
        }

        values.Sort();
        return new LatencySummary(
            values.Count,
            Rank(values, 0.50),
            Rank(values, 0.90),
            Rank(values, 0.99),
            Rank(values, 0.999),
            values[^1],
            values.Average());
    }

    private static T Rank<T>(List<T> sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
