using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Benchmarks;

/// <summary>
/// Reading one process's state when the reader already holds it: Brummer's <see cref="ProcessCell"/> (one volatile
/// load of an immutable <see cref="ProcessInfo"/>) against a field guarded by a lock or a reader-writer lock.
/// Go counterparts: BenchmarkAtomicStateRead / BenchmarkMutexRead and their RunParallel versions.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class StateReadBenchmarks : IDisposable
{
    private const string Single = "1 state read";
    private const string Concurrent = "2 state read, threads = cores";
    private const int Reads = 1024;
    private const int ConcurrentReads = 1 << 20;

    private readonly Lock _gate = new();
    private StatusWorld _world = null!;
    private ParallelLoop _parallel = null!;
    private ProcessCell _cell = null!;
    private ProcessInfo _guarded = null!;
    private ProcessInfo _readerWriterGuarded = null!;
    private long[] _sinks = [];
    private Action<int> _cellBody = null!;
    private Action<int> _lockBody = null!;
    private Action<int> _readerWriterBody = null!;

    [GlobalSetup]
    public void Setup()
    {
        _world = new StatusWorld();
        if (!_world.Table.TryGetCell("process-42", out _cell))
        {
            throw new InvalidOperationException("process-42 is missing from the table.");
        }

        _guarded = _world.Locked["process-42"];
        _readerWriterGuarded = _world.ReaderWriter["process-42"];
        _parallel = new ParallelLoop(Environment.ProcessorCount);
        _sinks = new long[_parallel.Threads * 16];
        _cellBody = CellReads;
        _lockBody = LockReads;
        _readerWriterBody = ReaderWriterReads;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _parallel?.Dispose();
        _world?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = Reads), BenchmarkCategory(Single)]
    public int Table_HeldCell() => ReadCell(Reads);

    [Benchmark(Baseline = true, OperationsPerInvoke = Reads), BenchmarkCategory(Single)]
    public int Lock_Field() => ReadLocked(Reads);

    [Benchmark(OperationsPerInvoke = Reads), BenchmarkCategory(Single)]
    public int RwLock_Field() => ReadReaderWriter(Reads);

    [Benchmark(OperationsPerInvoke = ConcurrentReads), BenchmarkCategory(Concurrent)]
    public void Table_HeldCell_Parallel() => _parallel.Run(_cellBody);

    [Benchmark(Baseline = true, OperationsPerInvoke = ConcurrentReads), BenchmarkCategory(Concurrent)]
    public void Lock_Field_Parallel() => _parallel.Run(_lockBody);

    [Benchmark(OperationsPerInvoke = ConcurrentReads), BenchmarkCategory(Concurrent)]
    public void RwLock_Field_Parallel() => _parallel.Run(_readerWriterBody);

    private int ReadCell(int count)
    {
        var cell = _cell;
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += (int)cell.Current!.Status;
        }

        return sum;
    }

    private int ReadLocked(int count)
    {
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            lock (_gate)
            {
                sum += (int)_guarded.Status;
            }
        }

        return sum;
    }

    private int ReadReaderWriter(int count)
    {
        var gate = _world.ReaderWriterGate;
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            gate.EnterReadLock();
            try
            {
                sum += (int)_readerWriterGuarded.Status;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }

        return sum;
    }

    private void CellReads(int worker) => _sinks[worker * 16] += ReadCell(_parallel.Share(ConcurrentReads, worker));

    private void LockReads(int worker) => _sinks[worker * 16] += ReadLocked(_parallel.Share(ConcurrentReads, worker));

    private void ReaderWriterReads(int worker) =>
        _sinks[worker * 16] += ReadReaderWriter(_parallel.Share(ConcurrentReads, worker));
}
