using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Benchmarks;

/// <summary>
/// Listing all 100 processes: <see cref="NodeStatusTable.Snapshot"/>'s precomputed, shared
/// <see cref="NodeSnapshot.Processes"/> against copying a locked <see cref="Dictionary{TKey, TValue}"/>'s values
/// into a new array, the only safe way to hand a lock-guarded collection to a caller.
/// Go counterparts: BenchmarkGetAllProcessesMapMutex / BenchmarkGetAllProcessesSyncMap.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
public class ListAllBenchmarks : IDisposable
{
    private const string ListAll = "5 list all 100";
    private const int Lists = 256;

    private StatusWorld _world = null!;
    private NodeStatusTable _table = null!;

    [GlobalSetup]
    public void Setup()
    {
        _world = new StatusWorld();
        _table = _world.Table;
        if (_table.Snapshot.Processes.Length != StatusWorld.ProcessCount
            || _world.LazyTable.Snapshot.Processes.Length != StatusWorld.ProcessCount)
        {
            throw new InvalidOperationException("The snapshot does not list every process.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _world?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = Lists), BenchmarkCategory(ListAll)]
    public ImmutableArray<ProcessInfo> Table_SnapshotProcesses()
    {
        var table = _table;
        var processes = ImmutableArray<ProcessInfo>.Empty;
        for (var i = 0; i < Lists; i++)
        {
            processes = table.Snapshot.Processes;
        }

        return processes;
    }

    /// <summary>The alternative design's read of an unchanged snapshot: one more volatile load and a compare.</summary>
    [Benchmark(OperationsPerInvoke = Lists), BenchmarkCategory(ListAll)]
    public ImmutableArray<ProcessInfo> LazySnapshot_SnapshotProcesses()
    {
        var table = _world.LazyTable;
        var processes = ImmutableArray<ProcessInfo>.Empty;
        for (var i = 0; i < Lists; i++)
        {
            processes = table.Snapshot.Processes;
        }

        return processes;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lists), BenchmarkCategory(ListAll)]
    public ProcessInfo[] Lock_CopyToArray()
    {
        var gate = _world.Gate;
        var map = _world.Locked;
        ProcessInfo[] processes = [];
        for (var i = 0; i < Lists; i++)
        {
            lock (gate)
            {
                processes = new ProcessInfo[map.Count];
                map.Values.CopyTo(processes, 0);
            }
        }

        return processes;
    }

    [Benchmark(OperationsPerInvoke = Lists), BenchmarkCategory(ListAll)]
    public ProcessInfo[] RwLock_CopyToArray()
    {
        var gate = _world.ReaderWriterGate;
        var map = _world.ReaderWriter;
        ProcessInfo[] processes = [];
        for (var i = 0; i < Lists; i++)
        {
            gate.EnterReadLock();
            try
            {
                processes = new ProcessInfo[map.Count];
                map.Values.CopyTo(processes, 0);
            }
            finally
            {
                gate.ExitReadLock();
            }
        }

        return processes;
    }
}
