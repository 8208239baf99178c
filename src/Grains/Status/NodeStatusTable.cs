using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Status;

/// <summary>
/// The node's lock-free table of process state. Writers (state changes, rare) serialize on a lock and publish
/// new immutable objects; readers never lock, never allocate and never call a grain:
/// <see cref="Get"/> is a dictionary probe plus one volatile load, <see cref="Snapshot"/> is one volatile load of a
/// precomputed immutable snapshot whose <see cref="NodeSnapshot.Processes"/> is shared, not copied, per read.
/// </summary>
public sealed class NodeStatusTable
{
    private readonly FrozenDictionary<string, ProcessCell> _cells;
    private readonly ProcessCell[] _slots;
    private readonly int[] _positions; // slot → index in the snapshot's process list; -1 until first published
    private readonly ImmutableArray<ScriptInfo> _scripts;
    private readonly TimeProvider _time;
    private readonly Lock _writeGate = new();
    private readonly ChangeSignal _changed = new();
    private NodeSnapshot _snapshot;
    private long _version;

    /// <param name="gatewayEndpoint">Where Orleans clients (gateways) reach this node directly (host:port), if it has a client gateway.</param>
    /// <param name="stopAllowance">The longest a stop can take once begun (published for callers to wait that long).</param>
    public NodeStatusTable(string node, string address, IEnumerable<ScriptInfo> scripts, TimeProvider time, string? gatewayEndpoint = null, TimeSpan stopAllowance = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        ArgumentNullException.ThrowIfNull(scripts);
        Node = node;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _scripts = [.. scripts];
        _slots = new ProcessCell[_scripts.Length];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new ProcessCell(_scripts[i], i);
        }

        _positions = new int[_slots.Length];
        Array.Fill(_positions, -1);
        _cells = _slots.ToFrozenDictionary(c => c.Script.Name, StringComparer.Ordinal);
        // A new incarnation per table (one per node run): lets gateways tell a restarted node from a late message.
        Incarnation = time.GetUtcNow().UtcTicks;
        _snapshot = new NodeSnapshot(node, address, 0, time.GetUtcNow(), _scripts, [], Incarnation, gatewayEndpoint, stopAllowance);
    }

    public string Node { get; }

    public long Incarnation { get; }

    public ImmutableArray<ScriptInfo> Scripts => _scripts;

    /// <summary>The latest snapshot of the whole node. One volatile read; the result is immutable.</summary>
    public NodeSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>The latest view of one script's process, or null if it never ran or is unknown.</summary>
    public ProcessInfo? Get(string name) => _cells.TryGetValue(name, out var cell) ? cell.Current : null;

    /// <summary>The cell of a script, for callers that read it repeatedly without a name lookup.</summary>
    public bool TryGetCell(string name, out ProcessCell cell) => _cells.TryGetValue(name, out cell!);

    /// <summary>
    /// Publishes a new view of one script's process, stamped with the next version, and a new node snapshot.
    /// </summary>
    public ProcessInfo Publish(ProcessInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!_cells.TryGetValue(info.Name, out var cell))
        {
            throw new ArgumentException($"'{info.Name}' is not a script of node '{Node}'.", nameof(info));
        }

        ProcessInfo stamped;
        lock (_writeGate)
        {
            var version = ++_version;
            stamped = info with { Node = Node, Version = version };
            cell.Set(stamped);
            var processes = NextProcesses(cell.Slot, stamped);

            var previous = _snapshot;
            Volatile.Write(ref _snapshot, new NodeSnapshot(
                Node,
                previous.Address,
                version,
                _time.GetUtcNow(),
                _scripts,
                processes,
                Incarnation,
                previous.GatewayEndpoint,
                previous.StopAllowance));
        }

        _changed.Set();
        return stamped;
    }

    /// <summary>
    /// The process list of the next snapshot: a copy of the current one with one entry replaced (the common case), or,
    /// the first time a script runs, a rebuild in slot order. Called under the write lock.
    /// </summary>
    private ImmutableArray<ProcessInfo> NextProcesses(int slot, ProcessInfo stamped)
    {
        var current = _snapshot.Processes;
        var position = _positions[slot];
        if (position >= 0)
        {
            var copy = new ProcessInfo[current.Length];
            current.CopyTo(copy);
            copy[position] = stamped;
            return ImmutableCollectionsMarshal.AsImmutableArray(copy);
        }

        var rebuilt = new ProcessInfo[current.Length + 1];
        var at = 0;
        foreach (var cell in _slots)
        {
            if (cell.Current is { } published)
            {
                _positions[cell.Slot] = at;
                rebuilt[at++] = published;
            }
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(rebuilt);
    }

    /// <summary>Completes after at least one publish since the previous call returned (bursts coalesce).</summary>
    /// <remarks>
    /// One consumer (the node's <see cref="StatusPublisher"/>): a wake-up goes to a single waiter, so a caller must not
    /// leave a wait pending and start another. To wait for a condition, check it, then await this, in a loop.
    /// </remarks>
    public Task WaitForChangeAsync(CancellationToken cancellationToken) => _changed.WaitAsync(cancellationToken);
}
