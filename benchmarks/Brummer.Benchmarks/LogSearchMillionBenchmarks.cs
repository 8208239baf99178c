using System.Globalization;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Brummer.Grains.Logs;

namespace Brummer.Benchmarks;

/// <summary>
/// logs_search's node-side work over 1,000,000 buffered lines (100 processes × 10,000, the default cap), when nothing
/// matches, so every line is examined: Brummer's <see cref="LogBuffer.Search"/> per process, plain (case-insensitive)
/// and regex, against a baseline that scans one plain list of the same strings in the same run.
/// </summary>
[MemoryDiagnoser]
public class LogSearchMillionBenchmarks
{
    private const int Processes = 100;
    private const int LinesPerProcess = 10_000;
    private LogBuffer[] _buffers = [];
    private List<string> _flat = [];
    private readonly Regex _regex = new(@"status=5\d\d", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(250));

    [GlobalSetup]
    public void Setup()
    {
        _buffers = new LogBuffer[Processes];
        _flat = new List<string>(Processes * LinesPerProcess);
        for (var p = 0; p < Processes; p++)
        {
            var buffer = new LogBuffer(LinesPerProcess, 64L * 1024 * 1024);
            for (var i = 0; i < LinesPerProcess; i++)
            {
                var text = string.Create(CultureInfo.InvariantCulture, $"GET /api/items/{i} status=200 in {i % 97} ms (worker {p})");
                buffer.Append(LogSource.Stdout, text);
                _flat.Add(text);
            }

            _buffers[p] = buffer;
        }
    }

    [Benchmark(Baseline = true)]
    public int ListScanPlain()
    {
        var found = 0;
        foreach (var line in _flat)
        {
            found += line.Contains("timeout", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
        }

        return found;
    }

    [Benchmark]
    public int BufferSearchPlain() => SearchAll(line => line.SearchText.Contains("timeout", StringComparison.OrdinalIgnoreCase));

    [Benchmark]
    public int BufferSearchRegex() => SearchAll(line => _regex.IsMatch(line.SearchText));

    private int SearchAll(LogLineFilter match)
    {
        var found = 0;
        foreach (var buffer in _buffers)
        {
            found += buffer.Search(match, limit: 100, maxScanned: 1_000_000).Lines.Count;
        }

        return found;
    }
}
