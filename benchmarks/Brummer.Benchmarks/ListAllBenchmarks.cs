using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Benchmarks;

/// <summary>
/// Listing all 100 processes: <see cref="NodeStatusTable.Snapshot"/>'s shared <see cref="NodeSnapshot.Processes"/>
/// (built once after a change, then shared) and <see cref="NodeStatusTable.TryCopyProcesses"/> (a consistent read into
/// the caller's buffer) against copying a locked <see cref="Dictionary{TKey, TValue}"/>'s values into a new array,
/// the only safe way to hand a lock-guarded collection to a caller.
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
    private ProcessInfo[] _buffer = [];

    [GlobalSetup]
    public void Setup()
    {
        _world = new StatusWorld();
        _table = _world.Table;
        _buffer = new ProcessInfo[StatusWorld.ProcessCount];
        if (_table.Snapshot.Processes.Length != StatusWorld.ProcessCount
            || _world.EagerTable.Snapshot.Processes.Length != StatusWorld.ProcessCount)
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

    /// <summary>Reads every process at one consistent version into a buffer the caller keeps: no shared snapshot needed.</summary>
    [Benchmark(OperationsPerInvoke = Lists), BenchmarkCategory(ListAll)]
    public int Table_CopyProcesses()
    {
        var table = _table;
        var buffer = _buffer;
        var sum = 0;
        for (var i = 0; i < Lists; i++)
        {
            table.TryCopyProcesses(buffer, out var written, out _);
            sum += written;
        }

        return sum;
    }

    /// <summary>The previous design's read: one volatile load of the snapshot it rebuilt on the last write.</summary>
    [Benchmark(OperationsPerInvoke = Lists), BenchmarkCategory(ListAll)]
    public ImmutableArray<ProcessInfo> Eager_SnapshotProcesses()
    {
        var table = _world.EagerTable;
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
