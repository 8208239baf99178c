using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Brummer.Grains.Logs;

namespace Brummer.Benchmarks;

/// <summary>
/// Whether to strip ANSI codes once per line at append (what <see cref="LogBuffer"/> does: <see cref="LogLine.SearchText"/>)
/// or on every search. Append: a coloured line (strip + copy) against a plain one (one vectorized scan, no copy).
/// Search: a substring over the 10,000 lines of the <see cref="LogOutputWorld"/> mix (one in five coloured),
/// on the precomputed text against stripping inside the predicate.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class LogSearchTextBenchmarks
{
    private const string Append = "3 append one line (per line)";
    private const string Search = "4 substring search over 10,000 buffered lines (per search)";
    private const int Appends = 1024;

    private LogBuffer _appendBuffer = null!;
    private LogBuffer _searchBuffer = null!;
    private string _plain = string.Empty;
    private string _coloured = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _plain = "  GET /api/orders/42 200 in 12ms — compiled client and server successfully";
        _coloured = LogOutputWorld.Colour(_plain, 32);
        _appendBuffer = new LogBuffer(10_000);
        _searchBuffer = new LogBuffer(10_000);
        foreach (var line in LogOutputWorld.Lines(10_000))
        {
            _searchBuffer.Append(LogSource.Stdout, line);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Appends), BenchmarkCategory(Append)]
    public long Append_Plain() => AppendMany(_plain);

    [Benchmark(OperationsPerInvoke = Appends), BenchmarkCategory(Append)]
    public long Append_Coloured_StrippedOnce() => AppendMany(_coloured);

    [Benchmark(OperationsPerInvoke = Appends), BenchmarkCategory(Append)]
    public int Strip_Coloured_Alone()
    {
        var sum = 0;
        for (var i = 0; i < Appends; i++)
        {
            sum += AnsiEscapes.Strip(_coloured).Length;
        }

        return sum;
    }

    [Benchmark(Baseline = true), BenchmarkCategory(Search)]
    public int Search_PrecomputedSearchText() =>
        _searchBuffer.Search(l => l.SearchText.Contains("processed job 77", StringComparison.Ordinal), 100, 20_000).Lines.Count;

    [Benchmark, BenchmarkCategory(Search)]
    public int Search_StripOnEverySearch() =>
        _searchBuffer.Search(l => AnsiEscapes.Strip(l.Text.ToString()).Contains("processed job 77", StringComparison.Ordinal), 100, 20_000).Lines.Count;

    private long AppendMany(string text)
    {
        long last = 0;
        for (var i = 0; i < Appends; i++)
        {
            last = _appendBuffer.Append(LogSource.Stdout, text).Sequence;
        }

        return last;
    }
}
