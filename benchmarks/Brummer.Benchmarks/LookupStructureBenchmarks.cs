using System.Collections.Frozen;
using BenchmarkDotNet.Attributes;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Benchmarks;

/// <summary>
/// Where the time of <see cref="NodeStatusTable.Get"/> goes: the same cells behind the table, behind a bare
/// <see cref="FrozenDictionary{TKey, TValue}"/>, behind a plain <see cref="Dictionary{TKey, TValue}"/>, and with a
/// key that is the stored string instance itself (reference-equal, so string comparison exits at once).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
public class LookupStructureBenchmarks : IDisposable
{
    private const string Structure = "3x lookup of 100, by structure";
    private const int Lookups = 1024;

    private StatusWorld _world = null!;
    private NodeStatusTable _table = null!;
    private FrozenDictionary<string, ProcessCell> _frozen = null!;
    private Dictionary<string, ProcessCell> _dictionary = null!;
    private string _key = "";
    private string _storedKey = "";

    [GlobalSetup]
    public void Setup()
    {
        _world = new StatusWorld();
        _table = _world.Table;
        var cells = _world.Names.ToDictionary(
            name => name,
            name => _table.TryGetCell(name, out var cell) ? cell : throw new InvalidOperationException(name),
            StringComparer.Ordinal);
        _frozen = cells.ToFrozenDictionary(StringComparer.Ordinal);
        _dictionary = new Dictionary<string, ProcessCell>(cells, StringComparer.Ordinal);
        _key = StatusWorld.KeyFor("process-42");
        _storedKey = _world.Names[42];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _world?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lookups), BenchmarkCategory(Structure)]
    public int Table_Get() => GetFromTable(_key);

    [Benchmark(OperationsPerInvoke = Lookups), BenchmarkCategory(Structure)]
    public int Table_Get_StoredKeyInstance() => GetFromTable(_storedKey);

    [Benchmark(OperationsPerInvoke = Lookups), BenchmarkCategory(Structure)]
    public int FrozenDictionary_Cell()
    {
        var cells = _frozen;
        var key = _key;
        var sum = 0;
        for (var i = 0; i < Lookups; i++)
        {
            sum += cells.TryGetValue(key, out var cell) ? (int)cell.Current!.Status : 0;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Lookups), BenchmarkCategory(Structure)]
    public int Dictionary_Cell()
    {
        var cells = _dictionary;
        var key = _key;
        var sum = 0;
        for (var i = 0; i < Lookups; i++)
        {
            sum += cells.TryGetValue(key, out var cell) ? (int)cell.Current!.Status : 0;
        }

        return sum;
    }

    private int GetFromTable(string key)
    {
        var table = _table;
        var sum = 0;
        for (var i = 0; i < Lookups; i++)
        {
            sum += (int)table.Get(key)!.Status;
        }

        return sum;
    }
}
