using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Status;

/// <summary>
/// The node's lock-free table of process state. Writers (state changes, rare) serialize on a lock and publish
/// new immutable objects; readers never lock, never allocate and never call a grain:
/// <see cref="Get"/> is one volatile load, a dictionary probe and another volatile load; <see cref="Snapshot"/> is one
/// volatile load of a precomputed immutable snapshot whose <see cref="NodeSnapshot.Processes"/> is shared, not copied,
/// per read. The set of scripts can change (<see cref="Define"/>, on a reload); a script that stays keeps its cell.
/// </summary>
public sealed class NodeStatusTable
{
    private readonly TimeProvider _time;
    private readonly Lock _writeGate = new();
    private readonly ChangeSignal _changed = new();
    private Layout _layout;
    private NodeSnapshot _snapshot;
    private TaskCompletionSource _nextChange = NewChange();
    private long _version;

    /// <param name="gatewayEndpoint">Where Orleans clients (gateways) reach this node directly (host:port), if it has a client gateway.</param>
    /// <param name="stopAllowance">The longest a stop can take once begun (published for callers to wait that long).</param>
    public NodeStatusTable(string node, string address, IEnumerable<ScriptInfo> scripts, TimeProvider time, string? gatewayEndpoint = null, TimeSpan stopAllowance = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        ArgumentNullException.ThrowIfNull(scripts);
        Node = node;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _layout = Layout.Of([.. scripts], FrozenDictionary<string, ProcessCell>.Empty);
        // A new incarnation per table (one per node run): lets gateways tell a restarted node from a late message.
        Incarnation = time.GetUtcNow().UtcTicks;
        _snapshot = new NodeSnapshot(node, address, 0, time.GetUtcNow(), _layout.Scripts, [], Incarnation, gatewayEndpoint, stopAllowance);
    }

    public string Node { get; }

    public long Incarnation { get; }

    public ImmutableArray<ScriptInfo> Scripts => Volatile.Read(ref _layout).Scripts;

    /// <summary>The latest snapshot of the whole node. One volatile read; the result is immutable.</summary>
    public NodeSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>The latest view of one script's process, or null if it never ran or is unknown.</summary>
    public ProcessInfo? Get(string name) => Volatile.Read(ref _layout).Cells.TryGetValue(name, out var cell) ? cell.Current : null;

    /// <summary>The cell of a script, for callers that read it repeatedly without a name lookup.</summary>
    public bool TryGetCell(string name, out ProcessCell cell) => Volatile.Read(ref _layout).Cells.TryGetValue(name, out cell!);

    /// <summary>Completes at the next publish. Any number of callers may wait; each call after it completes gets the next one.</summary>
    public Task NextChange => Volatile.Read(ref _nextChange).Task;

    /// <summary>
    /// Publishes a new view of one script's process, stamped with the next version, and a new node snapshot. A script
    /// no longer defined (removed by a reload) publishes nothing: the view is returned unstamped.
    /// </summary>
    public ProcessInfo Publish(ProcessInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        ProcessInfo stamped;
        lock (_writeGate)
        {
            var layout = _layout;
            if (!layout.Cells.TryGetValue(info.Name, out var cell))
            {
                return info;
            }

            var version = ++_version;
            stamped = info with { Node = Node, Version = version };
            cell.Set(stamped);
            PublishSnapshot(version, NextProcesses(layout, cell, stamped), layout.Scripts);
        }

        Changed();
        return stamped;
    }

    /// <summary>
    /// Replaces the set of scripts (a reload): scripts that stay keep their cell and state, new ones get a cell, removed
    /// ones leave the snapshot. Gateways see a new <see cref="NodeSnapshot.DefinitionsVersion"/> and pull the snapshot.
    /// </summary>
    /// <param name="error">Why the definition files were refused this time (the scripts are then the previous ones); null when read.</param>
    public void Define(IEnumerable<ScriptInfo> scripts, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        lock (_writeGate)
        {
            var layout = Layout.Of([.. scripts], _layout.Cells);
            _layout = layout;
            var version = ++_version;
            var processes = RebuildProcesses(layout);
            PublishSnapshot(version, processes, layout.Scripts, definitionsVersion: version, error);
        }

        Changed();
    }

    private void PublishSnapshot(long version, ImmutableArray<ProcessInfo> processes, ImmutableArray<ScriptInfo> scripts, long? definitionsVersion = null, string? error = null)
    {
        var previous = _snapshot;
        Volatile.Write(ref _snapshot, previous with
        {
            Version = version,
            AsOf = _time.GetUtcNow(),
            Scripts = scripts,
            Processes = processes,
            DefinitionsVersion = definitionsVersion ?? previous.DefinitionsVersion,
            DefinitionsError = definitionsVersion is null ? previous.DefinitionsError : error,
        });
    }

    private void Changed()
    {
        _changed.Set();
        Interlocked.Exchange(ref _nextChange, NewChange()).TrySetResult();
    }

    private static TaskCompletionSource NewChange() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The process list of the next snapshot: a copy of the current one with one entry replaced (the common case), or,
    /// the first time a script runs, a rebuild in slot order. Called under the write lock.
    /// </summary>
    private ImmutableArray<ProcessInfo> NextProcesses(Layout layout, ProcessCell cell, ProcessInfo stamped)
    {
        var current = _snapshot.Processes;
        var position = cell.Position;
        if (position >= 0)
        {
            var copy = new ProcessInfo[current.Length];
            current.CopyTo(copy);
            copy[position] = stamped;
            return ImmutableCollectionsMarshal.AsImmutableArray(copy);
        }

        return RebuildProcesses(layout);
    }

    private static ImmutableArray<ProcessInfo> RebuildProcesses(Layout layout)
    {
        var rebuilt = new List<ProcessInfo>(layout.Slots.Length);
        foreach (var cell in layout.Slots)
        {
            cell.Position = cell.Current is null ? -1 : rebuilt.Count;
            if (cell.Current is { } published)
            {
                rebuilt.Add(published);
            }
        }

        return [.. rebuilt];
    }

    /// <summary>The scripts at one point in time: their cells by name and in order.</summary>
    private sealed record Layout(ImmutableArray<ScriptInfo> Scripts, ProcessCell[] Slots, FrozenDictionary<string, ProcessCell> Cells)
    {
        public static Layout Of(ImmutableArray<ScriptInfo> scripts, FrozenDictionary<string, ProcessCell> existing)
        {
            var slots = new ProcessCell[scripts.Length];
            for (var i = 0; i < slots.Length; i++)
            {
                var script = scripts[i];
                if (existing.TryGetValue(script.Name, out var kept))
                {
                    kept.Script = script;
                    slots[i] = kept;
                }
                else
                {
                    slots[i] = new ProcessCell(script);
                }
            }

            return new Layout(scripts, slots, slots.ToFrozenDictionary(c => c.Script.Name, StringComparer.Ordinal));
        }
    }

    /// <summary>Completes after at least one publish since the previous call returned (bursts coalesce).</summary>
    /// <remarks>
    /// One consumer (the node's <see cref="StatusPublisher"/>): a wake-up goes to a single waiter, so a caller must not
    /// leave a wait pending and start another. Others wait on <see cref="NextChange"/>.
    /// </remarks>
    public Task WaitForChangeAsync(CancellationToken cancellationToken) => _changed.WaitAsync(cancellationToken);
}
