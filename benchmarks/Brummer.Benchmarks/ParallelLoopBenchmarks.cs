using BenchmarkDotNet.Attributes;

namespace Brummer.Benchmarks;

/// <summary>
/// The fixed cost of one <see cref="ParallelLoop.Run"/> with an empty body (two barrier phases across all
/// threads). The concurrent benchmarks amortize it over 2^16 to 2^20 operations per invocation; divide this
/// figure by those counts to see how much of their ns/op is harness.
/// </summary>
[MemoryDiagnoser]
public class ParallelLoopBenchmarks : IDisposable
{
    private ParallelLoop _parallel = null!;
    private Action<int> _empty = null!;

    [GlobalSetup]
    public void Setup()
    {
        _parallel = new ParallelLoop(Environment.ProcessorCount);
        _empty = static _ => { };
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _parallel?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void Harness_EmptyRun() => _parallel.Run(_empty);
}
