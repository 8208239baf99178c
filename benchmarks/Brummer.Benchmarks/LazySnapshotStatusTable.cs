using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Benchmarks;

/// <summary>
/// A measured alternative to <see cref="NodeStatusTable"/>, kept only in the benchmarks: <see cref="Publish"/>
/// updates the cell and the version and nothing else; the node snapshot is rebuilt on the first
/// <see cref="Snapshot"/> read after a change (double-checked under the write lock), so a burst of writes pays one
/// O(scripts) rebuild instead of one per write. Reads of <see cref="Get"/> and of an unchanged
/// <see cref="Snapshot"/> stay lock-free and allocation-free.
/// </summary>
internal sealed class LazySnapshotStatusTable
{
    private readonly FrozenDictionary<string, ProcessCell> _cells;
    private readonly ProcessCell[] _slots;
    private readonly ImmutableArray<ScriptInfo> _scripts;
    private readonly TimeProvider _time;
    private readonly Lock _writeGate = new();
    private readonly string _address;
    private NodeSnapshot _snapshot;
    private long _version;
    private int _published;

    public LazySnapshotStatusTable(string node, string address, IEnumerable<ScriptInfo> scripts, TimeProvider time)
    {
        Node = node;
        _address = address;
        _time = time;
        _scripts = [.. scripts];
        _slots = new ProcessCell[_scripts.Length];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new ProcessCell(_scripts[i]);
        }

        _cells = _slots.ToFrozenDictionary(c => c.Script.Name, StringComparer.Ordinal);
        _snapshot = new NodeSnapshot(node, address, 0, time.GetUtcNow(), _scripts, []);
    }

    public string Node { get; }

    public NodeSnapshot Snapshot
    {
        get
        {
            var snapshot = Volatile.Read(ref _snapshot);
            return snapshot.Version == Volatile.Read(ref _version) ? snapshot : Rebuild();
        }
    }

    public ProcessInfo? Get(string name) => _cells.TryGetValue(name, out var cell) ? cell.Current : null;

    public ProcessInfo Publish(ProcessInfo info)
    {
        if (!_cells.TryGetValue(info.Name, out var cell))
        {
            throw new ArgumentException($"'{info.Name}' is not a script of node '{Node}'.", nameof(info));
        }

        lock (_writeGate)
        {
            var version = _version + 1;
            var stamped = info with { Node = Node, Version = version };
            if (cell.Current is null)
            {
                _published++;
            }

            cell.Set(stamped);
            Volatile.Write(ref _version, version);
            return stamped;
        }
    }

    private NodeSnapshot Rebuild()
    {
        lock (_writeGate)
        {
            if (_snapshot.Version == _version)
            {
                return _snapshot;
            }

            var processes = new ProcessInfo[_published];
            var at = 0;
            foreach (var slot in _slots)
            {
                if (slot.Current is { } current)
                {
                    processes[at++] = current;
                }
            }

            var snapshot = new NodeSnapshot(
                Node,
                _address,
                _version,
                _time.GetUtcNow(),
                _scripts,
                ImmutableCollectionsMarshal.AsImmutableArray(processes));
            Volatile.Write(ref _snapshot, snapshot);
            return snapshot;
        }
    }
}
