using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Brummer.Grains.Status;

namespace Brummer.Benchmarks;

/// <summary>
/// Finding one process by name among 100: <see cref="NodeStatusTable.Get"/> (frozen-dictionary probe plus one
/// volatile load) against a <see cref="Dictionary{TKey, TValue}"/> behind a lock or a reader-writer lock.
/// The key is a prebuilt string equal to, but not the same instance as, the stored name.
/// Go counterparts: BenchmarkMapMutexRead / BenchmarkSyncMapRead and their RunParallel versions.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class LookupBenchmarks : IDisposable
{
    private const string Single = "3 lookup of 100";
    private const string Concurrent = "4 lookup of 100, threads = cores";
    private const int Lookups = 1024;
    private const int ConcurrentLookups = 1 << 20;

    private StatusWorld _world = null!;
    private ParallelLoop _parallel = null!;
    private NodeStatusTable _table = null!;
    private string[] _keys = [];
    private long[] _sinks = [];
    private Action<int> _tableBody = null!;
    private Action<int> _lockBody = null!;
    private Action<int> _readerWriterBody = null!;

    [GlobalSetup]
    public void Setup()
    {
        _world = new StatusWorld();
        _table = _world.Table;
        _parallel = new ParallelLoop(Environment.ProcessorCount);
        _keys = [.. Enumerable.Range(0, _parallel.Threads).Select(_ => StatusWorld.KeyFor("process-42"))];
        _sinks = new long[_parallel.Threads * 16];
        _tableBody = TableLookups;
        _lockBody = LockLookups;
        _readerWriterBody = ReaderWriterLookups;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _parallel?.Dispose();
        _world?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = Lookups), BenchmarkCategory(Single)]
    public int Table_Get() => GetFromTable(_keys[0], Lookups);

    [Benchmark(Baseline = true, OperationsPerInvoke = Lookups), BenchmarkCategory(Single)]
    public int Lock_Dictionary() => GetLocked(_keys[0], Lookups);

    [Benchmark(OperationsPerInvoke = Lookups), BenchmarkCategory(Single)]
    public int RwLock_Dictionary() => GetReaderWriter(_keys[0], Lookups);

    [Benchmark(OperationsPerInvoke = ConcurrentLookups), BenchmarkCategory(Concurrent)]
    public void Table_Get_Parallel() => _parallel.Run(_tableBody);

    [Benchmark(Baseline = true, OperationsPerInvoke = ConcurrentLookups), BenchmarkCategory(Concurrent)]
    public void Lock_Dictionary_Parallel() => _parallel.Run(_lockBody);

    [Benchmark(OperationsPerInvoke = ConcurrentLookups), BenchmarkCategory(Concurrent)]
    public void RwLock_Dictionary_Parallel() => _parallel.Run(_readerWriterBody);

    private int GetFromTable(string key, int count)
    {
        var table = _table;
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += (int)table.Get(key)!.Status;
        }

        return sum;
    }

    private int GetLocked(string key, int count)
    {
        var gate = _world.Gate;
        var map = _world.Locked;
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            lock (gate)
            {
                sum += (int)map[key].Status;
            }
        }

        return sum;
    }

    private int GetReaderWriter(string key, int count)
    {
        var gate = _world.ReaderWriterGate;
        var map = _world.ReaderWriter;
        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            gate.EnterReadLock();
            try
            {
                sum += (int)map[key].Status;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }

        return sum;
    }

    private void TableLookups(int worker) =>
        _sinks[worker * 16] += GetFromTable(_keys[worker], _parallel.Share(ConcurrentLookups, worker));

    private void LockLookups(int worker) =>
        _sinks[worker * 16] += GetLocked(_keys[worker], _parallel.Share(ConcurrentLookups, worker));

    private void ReaderWriterLookups(int worker) =>
        _sinks[worker * 16] += GetReaderWriter(_keys[worker], _parallel.Share(ConcurrentLookups, worker));
}
