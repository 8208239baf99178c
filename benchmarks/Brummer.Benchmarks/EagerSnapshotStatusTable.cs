using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Brummer.Grains.Abstractions;

namespace Brummer.Benchmarks;

/// <summary>
/// The status table's previous design (main up to 063bcac), kept only in the benchmarks so "before" and "after" are
/// measured in the same run: every <see cref="Publish"/>, under the write lock, stamps the record, copies the whole
/// process list with one entry replaced, reads the clock and allocates a new <see cref="NodeSnapshot"/>, so reads of
/// <see cref="Snapshot"/> are one volatile load but a write costs O(scripts). Fixed scripts (no reloads).
/// </summary>
internal sealed class EagerSnapshotStatusTable
{
    private readonly FrozenDictionary<string, Cell> _cells;
    private readonly Cell[] _slots;
    private readonly TimeProvider _time;
    private readonly Lock _writeGate = new();
    private NodeSnapshot _snapshot;
    private TaskCompletionSource _nextChange = NewChange();
    private long _version;

    public EagerSnapshotStatusTable(string node, string address, IEnumerable<ScriptInfo> scripts, TimeProvider time)
    {
        Node = node;
        _time = time;
        ImmutableArray<ScriptInfo> defined = [.. scripts];
        _slots = [.. defined.Select(s => new Cell(s.Name))];
        _cells = _slots.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);
        _snapshot = new NodeSnapshot(node, address, 0, time.GetUtcNow(), defined, []);
    }

    public string Node { get; }

    public NodeSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public ProcessInfo? Get(string name) => _cells.TryGetValue(name, out var cell) ? cell.Current : null;

    public ProcessInfo Publish(ProcessInfo info)
    {
        ProcessInfo stamped;
        lock (_writeGate)
        {
            if (!_cells.TryGetValue(info.Name, out var cell))
            {
                return info;
            }

            var version = ++_version;
            stamped = info with { Node = Node, Version = version };
            cell.Current = stamped;
            var previous = _snapshot;
            Volatile.Write(ref _snapshot, previous with { Version = version, AsOf = _time.GetUtcNow(), Processes = NextProcesses(previous.Processes, cell, stamped) });
        }

        Interlocked.Exchange(ref _nextChange, NewChange()).TrySetResult();
        return stamped;
    }

    private static TaskCompletionSource NewChange() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ImmutableArray<ProcessInfo> NextProcesses(ImmutableArray<ProcessInfo> current, Cell cell, ProcessInfo stamped)
    {
        if (cell.Position >= 0)
        {
            var copy = new ProcessInfo[current.Length];
            current.CopyTo(copy);
            copy[cell.Position] = stamped;
            return ImmutableCollectionsMarshal.AsImmutableArray(copy);
        }

        var rebuilt = new List<ProcessInfo>(_slots.Length);
        foreach (var slot in _slots)
        {
            slot.Position = slot.Current is null ? -1 : rebuilt.Count;
            if (slot.Current is { } published)
            {
                rebuilt.Add(published);
            }
        }

        return [.. rebuilt];
    }

    private sealed class Cell(string name)
    {
        private ProcessInfo? _current;

        public string Name { get; } = name;

        public int Position { get; set; } = -1;

        public ProcessInfo? Current
        {
            get => Volatile.Read(ref _current);
            set => Volatile.Write(ref _current, value);
        }
    }
}
