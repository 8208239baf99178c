using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Benchmarks;

/// <summary>
/// 80 % lookups by name, 20 % writes of a freshly allocated <see cref="ProcessInfo"/>, on threads = cores, cycling
/// over all 100 scripts. Brummer's table publishes each write (one new record made at its version, set in its cell);
/// the baselines store the value in a <see cref="Dictionary{TKey, TValue}"/> under a lock or a reader-writer lock;
/// <see cref="EagerSnapshotStatusTable"/> is the table's previous design (a new node snapshot per write).
/// The "+ list" category turns one read in 100 (counted down, no division) into a consistent list of all processes
/// (the table copies them into the thread's buffer; the lock baseline copies under the lock into a new array). The "publish" category is one writer alone, to show what
/// a single write costs. Go counterparts: BenchmarkMixedWorkloadMapMutex / BenchmarkMixedWorkloadSyncMap.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class MixedWorkloadBenchmarks : IDisposable
{
    private const string Mixed = "6 mixed 80% read / 20% write, threads = cores";
    private const string MixedWithList = "6+ same, 1 read in 100 lists all";
    private const string Write = "6w publish one, 1 thread";
    private const int Operations = 1 << 16;
    private const int Writes = 256;
    private const int NoList = int.MaxValue; // a countdown that never reaches zero
    private const int ListEvery = 100;

    private StatusWorld _world = null!;
    private ParallelLoop _parallel = null!;
    private string[][] _keys = [];
    private long[] _sinks = [];
    private ProcessInfo[][] _buffers = [];
    private Action<int> _table = null!;
    private Action<int> _lock = null!;
    private Action<int> _readerWriter = null!;
    private Action<int> _eager = null!;
    private Action<int> _tableList = null!;
    private Action<int> _lockList = null!;
    private Action<int> _eagerList = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _world = new StatusWorld();
        _parallel = new ParallelLoop(Environment.ProcessorCount);

        // Each thread has its own key instances, built once here, never in the timed loop.
        _keys = [.. Enumerable.Range(0, _parallel.Threads).Select(_ => _world.Names.Select(StatusWorld.KeyFor).ToArray())];
        _sinks = new long[_parallel.Threads * 16];
        _buffers = [.. Enumerable.Range(0, _parallel.Threads).Select(_ => new ProcessInfo[StatusWorld.ProcessCount])];
        _table = worker => TableWorkload(worker, NoList);
        _lock = worker => LockWorkload(worker, NoList);
        _readerWriter = ReaderWriterWorkload;
        _eager = worker => EagerWorkload(worker, NoList);
        _tableList = worker => TableWorkload(worker, ListEvery);
        _lockList = worker => LockWorkload(worker, ListEvery);
        _eagerList = worker => EagerWorkload(worker, ListEvery);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _parallel?.Dispose();
        _world?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory(Mixed)]
    public void Table_GetAndPublish_Parallel() => _parallel.Run(_table);

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations), BenchmarkCategory(Mixed)]
    public void Lock_Dictionary_Parallel() => _parallel.Run(_lock);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory(Mixed)]
    public void RwLock_Dictionary_Parallel() => _parallel.Run(_readerWriter);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory(Mixed)]
    public void Eager_GetAndPublish_Parallel() => _parallel.Run(_eager);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory(MixedWithList)]
    public void Table_GetPublishList_Parallel() => _parallel.Run(_tableList);

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations), BenchmarkCategory(MixedWithList)]
    public void Lock_DictionaryCopy_Parallel() => _parallel.Run(_lockList);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory(MixedWithList)]
    public void Eager_GetPublishList_Parallel() => _parallel.Run(_eagerList);

    [Benchmark(OperationsPerInvoke = Writes), BenchmarkCategory(Write)]
    public long Table_Publish()
    {
        var table = _world.Table;
        var names = _world.Names;
        var sum = 0L;
        for (var i = 0; i < Writes; i++)
        {
            var name = names[NextName()];
            sum += table.Publish(name, (_world, name, i), static (s, version) => s._world.Running(s.name, s.i, version))!.Version;
        }

        return sum;
    }

    /// <summary>The write given a record made before it: the table stamps a copy (two records per write).</summary>
    [Benchmark(OperationsPerInvoke = Writes), BenchmarkCategory(Write)]
    public long Table_PublishRecord()
    {
        var table = _world.Table;
        var names = _world.Names;
        var sum = 0L;
        for (var i = 0; i < Writes; i++)
        {
            sum += table.Publish(_world.Running(names[NextName()], i)).Version;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Writes), BenchmarkCategory(Write)]
    public long Lock_DictionaryWrite()
    {
        var gate = _world.Gate;
        var map = _world.Locked;
        var names = _world.Names;
        var sum = 0L;
        for (var i = 0; i < Writes; i++)
        {
            var name = names[NextName()];
            var info = _world.Running(name, i);
            lock (gate)
            {
                map[name] = info;
            }

            sum += info.Pid ?? 0;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Writes), BenchmarkCategory(Write)]
    public long Eager_Publish()
    {
        var table = _world.EagerTable;
        var names = _world.Names;
        var sum = 0L;
        for (var i = 0; i < Writes; i++)
        {
            sum += table.Publish(_world.Running(names[NextName()], i)).Version;
        }

        return sum;
    }

    private int NextName()
    {
        var next = _next + 1;
        _next = next == StatusWorld.ProcessCount ? 0 : next;
        return _next;
    }

    private void TableWorkload(int worker, int listEvery)
    {
        var table = _world.Table;
        var keys = _keys[worker];
        var buffer = _buffers[worker];
        var count = _parallel.Share(Operations, worker);
        var key = worker * 37 % keys.Length;
        var untilList = listEvery;
        var sum = 0L;
        for (var i = 0; i < count; i++)
        {
            if (i % 5 == 4)
            {
                sum += table.Publish(keys[key], (_world, keys[key], i), static (s, version) => s._world.Running(s.Item2, s.i, version))!.Version;
            }
            else if (--untilList == 0)
            {
                untilList = listEvery;
                table.TryCopyProcesses(buffer, out var written, out _);
                sum += written;
            }
            else
            {
                sum += (int)table.Get(keys[key])!.Status;
            }

            if (++key == keys.Length)
            {
                key = 0;
            }
        }

        _sinks[worker * 16] += sum;
    }

    private void EagerWorkload(int worker, int listEvery)
    {
        var table = _world.EagerTable;
        var keys = _keys[worker];
        var count = _parallel.Share(Operations, worker);
        var key = worker * 37 % keys.Length;
        var untilList = listEvery;
        var sum = 0L;
        for (var i = 0; i < count; i++)
        {
            if (i % 5 == 4)
            {
                sum += table.Publish(_world.Running(keys[key], i)).Version;
            }
            else if (--untilList == 0)
            {
                untilList = listEvery;
                sum += table.Snapshot.Processes.Length;
            }
            else
            {
                sum += (int)table.Get(keys[key])!.Status;
            }

            if (++key == keys.Length)
            {
                key = 0;
            }
        }

        _sinks[worker * 16] += sum;
    }

    private void LockWorkload(int worker, int listEvery)
    {
        var gate = _world.Gate;
        var map = _world.Locked;
        var keys = _keys[worker];
        var count = _parallel.Share(Operations, worker);
        var key = worker * 37 % keys.Length;
        var untilList = listEvery;
        var sum = 0L;
        for (var i = 0; i < count; i++)
        {
            if (i % 5 == 4)
            {
                var info = _world.Running(keys[key], i);
                lock (gate)
                {
                    map[keys[key]] = info;
                }

                sum += info.Pid ?? 0;
            }
            else if (--untilList == 0)
            {
                untilList = listEvery;
                ProcessInfo[] all;
                lock (gate)
                {
                    all = new ProcessInfo[map.Count];
                    map.Values.CopyTo(all, 0);
                }

                sum += all.Length;
            }
            else
            {
                lock (gate)
                {
                    sum += (int)map[keys[key]].Status;
                }
            }

            if (++key == keys.Length)
            {
                key = 0;
            }
        }

        _sinks[worker * 16] += sum;
    }

    private void ReaderWriterWorkload(int worker)
    {
        var gate = _world.ReaderWriterGate;
        var map = _world.ReaderWriter;
        var keys = _keys[worker];
        var count = _parallel.Share(Operations, worker);
        var key = worker * 37 % keys.Length;
        var sum = 0L;
        for (var i = 0; i < count; i++)
        {
            if (i % 5 == 4)
            {
                var info = _world.Running(keys[key], i);
                gate.EnterWriteLock();
                try
                {
                    map[keys[key]] = info;
                }
                finally
                {
                    gate.ExitWriteLock();
                }

                sum += info.Pid ?? 0;
            }
            else
            {
                gate.EnterReadLock();
                try
                {
                    sum += (int)map[keys[key]].Status;
                }
                finally
                {
                    gate.ExitReadLock();
                }
            }

            if (++key == keys.Length)
            {
                key = 0;
            }
        }

        _sinks[worker * 16] += sum;
    }
}
