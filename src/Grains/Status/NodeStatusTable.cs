using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Status;

/// <summary>
/// The node's lock-free table of process state. Readers never lock and never call a grain: <see cref="Get"/> is one
/// volatile load, a probe of the name index (<see cref="ScriptIndex"/>) and another volatile load; <see cref="TryCopyProcesses"/> reads every process at
/// one consistent version without allocating; <see cref="Snapshot"/> is one volatile load and a compare while nothing
/// changed, and after a change the first reader builds it once (lock-free) and every later one shares it.
/// A write (rare: a state change or a new last line) takes the write lock to order versions and costs one record:
/// it sets one cell and then publishes the version number, never copying the other processes. The set of scripts can
/// change (<see cref="Define"/>, on a reload); a script that stays keeps its cell.
/// </summary>
/// <remarks>
/// Consistency without a lock: a reader fixes a version V (the last one published), then reads each cell's view at V.
/// A cell written after V still holds its previous view (<see cref="ProcessCell.ReadAt"/>), and a layout replaced after
/// V still links its predecessor; only when two writes overtook the reader does it retry, at a newer V. So a reader
/// retries only because writers made progress, and a writer paused mid-write holds up nobody.
/// </remarks>
public sealed class NodeStatusTable
{
    private readonly TimeProvider _time;
    private readonly Lock _writeGate = new();
    private readonly ChangeSignal _changed = new();
    private readonly string _address;
    private readonly string? _gatewayEndpoint;
    private readonly string? _pushEndpoint;
    private readonly TimeSpan _stopAllowance;
    private readonly WriteSide _writes = new();
    private Layout _layout;
    private NodeSnapshot _snapshot;
#pragma warning disable IDE0044, IDE0051, CS0169 // only takes up room: see CacheLinePad
    private CacheLinePad _pad;
#pragma warning restore IDE0044, IDE0051, CS0169

    /// <param name="gatewayEndpoint">Where Orleans clients (gateways) reach this node directly (host:port), if it has a client gateway.</param>
    /// <param name="stopAllowance">The longest a stop can take once begun (published for callers to wait that long).</param>
    /// <param name="pushEndpoint">Where gateways open a push connection to this node (host:port), if it listens for one.</param>
    public NodeStatusTable(string node, string address, IEnumerable<ScriptInfo> scripts, TimeProvider time, string? gatewayEndpoint = null, TimeSpan stopAllowance = default, string? pushEndpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        ArgumentNullException.ThrowIfNull(scripts);
        Node = node;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _address = address;
        _gatewayEndpoint = gatewayEndpoint;
        _pushEndpoint = pushEndpoint;
        _stopAllowance = stopAllowance;
        _layout = Layout.Of([.. scripts], ScriptIndex.Empty, definitionsVersion: 0, error: null, previous: null);
        // A new incarnation per table (one per node run): lets gateways tell a restarted node from a late message.
        Incarnation = time.GetUtcNow().UtcTicks;
        _snapshot = new NodeSnapshot(node, address, 0, time.GetUtcNow(), _layout.Scripts, [], Incarnation, gatewayEndpoint, stopAllowance, PushEndpoint: pushEndpoint);
    }

    public string Node { get; }

    public long Incarnation { get; }

    public ImmutableArray<ScriptInfo> Scripts => Volatile.Read(ref _layout).Scripts;

    /// <summary>The latest version published (each write and each <see cref="Define"/> adds one).</summary>
    public long Version => Volatile.Read(ref _writes.Version);

    /// <summary>
    /// The node at the latest version: immutable, shared by every reader until the next change. Built by the first
    /// reader after a change (one allocation of the process list, no lock); every other read is two volatile loads.
    /// </summary>
    public NodeSnapshot Snapshot
    {
        get
        {
            var cached = Volatile.Read(ref _snapshot);
            return cached.Version == Volatile.Read(ref _writes.Version) ? cached : Build();
        }
    }

    /// <summary>The latest view of one script's process, or null if it never ran or is unknown.</summary>
    public ProcessInfo? Get(string name) => Volatile.Read(ref _layout).Cells.TryGetValue(name, out var cell) ? cell.Current : null;

    /// <summary>The cell of a script, for callers that read it repeatedly without a name lookup.</summary>
    public bool TryGetCell(string name, out ProcessCell cell) => Volatile.Read(ref _layout).Cells.TryGetValue(name, out cell!);

    /// <summary>Completes at the next publish. Any number of callers may wait; each call after it completes gets the next one.</summary>
    public Task NextChange
    {
        get
        {
            // Made on demand, so a write with nobody waiting allocates nothing for waiters.
            var next = Volatile.Read(ref _writes.NextChange);
            if (next is null)
            {
                var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                next = Interlocked.CompareExchange(ref _writes.NextChange, fresh, null) ?? fresh;
            }

            return next.Task;
        }
    }

    /// <summary>
    /// Copies every process that has run, in script order, as of one version (<paramref name="version"/>) into
    /// <paramref name="destination"/>, without locking or allocating. False, with nothing copied, when
    /// <paramref name="destination"/> is shorter than the number of scripts (<see cref="Scripts"/>).
    /// </summary>
    public bool TryCopyProcesses(Span<ProcessInfo> destination, out int written, out long version) =>
        TryRead(destination, out written, out version, out _);

    /// <summary>
    /// Publishes a new view of one script's process, stamped with the next version. A script no longer defined
    /// (removed by a reload) publishes nothing: the view is returned unstamped.
    /// </summary>
    public ProcessInfo Publish(ProcessInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return Publish(info.Name, info, static (info, version) => info with { Version = version }) ?? info;
    }

    /// <summary>
    /// Publishes the view <paramref name="create"/> makes, given <paramref name="state"/> and the version it is
    /// published at: one record per write, built under the write lock (so <paramref name="create"/> must be quick and
    /// must not call the table). Null, and nothing created, when <paramref name="name"/> is not a defined script.
    /// </summary>
    public ProcessInfo? Publish<TState>(string name, TState state, Func<TState, long, ProcessInfo> create)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(create);
        ProcessInfo published;
        lock (_writeGate)
        {
            if (!_layout.Cells.TryGetValue(name, out var cell))
            {
                return null;
            }

            var version = _writes.Version + 1;
            published = create(state, version);
            if (published.Version != version || !string.Equals(published.Node, Node, StringComparison.Ordinal) || !string.Equals(published.Name, name, StringComparison.Ordinal))
            {
                published = published with { Node = Node, Name = name, Version = version };
            }

            cell.Set(published);
            Volatile.Write(ref _writes.Version, version);
        }

        Changed();
        return published;
    }

    /// <summary>
    /// Replaces the set of scripts (a reload): scripts that stay keep their cell and state, new ones get a cell, removed
    /// ones leave the snapshot. Gateways see a new <see cref="NodeSnapshot.DefinitionsVersion"/> and pull the snapshot.
    /// </summary>
    /// <param name="error">Why the definition files were refused this time (the scripts are then the previous ones); null when read.</param>
    public void Define(IEnumerable<ScriptInfo> scripts, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        ImmutableArray<ScriptInfo> defined = [.. scripts];
        lock (_writeGate)
        {
            var current = _layout;
            var version = _writes.Version + 1;
            var layout = Layout.Of(defined, current.Cells, version, error, previous: current);
            current.Previous = null; // one step back is all a reader at the previous version needs
            Volatile.Write(ref _layout, layout);
            Volatile.Write(ref _writes.Version, version);
        }

        Changed();
    }

    private void Changed()
    {
        // Orders the write before the checks below, as a waiter orders its registration before reading the table: a
        // waiter that registered too late to be seen here reads the new state. Checking before exchanging keeps writes
        // from dirtying cache lines shared with the other cores when nobody waits.
        Interlocked.MemoryBarrier();
        _changed.Set();
        if (Volatile.Read(ref _writes.NextChange) is not null)
        {
            Interlocked.Exchange(ref _writes.NextChange, null)?.TrySetResult();
        }
    }

    private bool TryRead(Span<ProcessInfo> destination, out int written, out long version, out Layout layout)
    {
        while (true)
        {
            version = Volatile.Read(ref _writes.Version);
            layout = Volatile.Read(ref _layout);
            if (layout.DefinitionsVersion > version && (layout.Previous is not { } previous || (layout = previous).DefinitionsVersion > version))
            {
                continue; // two reloads overtook this read
            }

            var slots = layout.Slots;
            if (destination.Length < slots.Length)
            {
                written = 0;
                return false;
            }

            written = 0;
            var overtaken = false;
            foreach (var cell in slots)
            {
                var read = cell.ReadAt(version, out var info);
                if (read == CellRead.Present)
                {
                    destination[written++] = info!;
                }
                else if (read == CellRead.Overtaken)
                {
                    overtaken = true;
                    break;
                }
            }

            if (!overtaken)
            {
                return true;
            }
        }
    }

    private NodeSnapshot Build()
    {
        var buffer = ArrayPool<ProcessInfo>.Shared.Rent(Math.Max(1, Volatile.Read(ref _layout).Slots.Length));
        try
        {
            int written;
            long version;
            Layout layout;
            while (!TryRead(buffer, out written, out version, out layout))
            {
                ArrayPool<ProcessInfo>.Shared.Return(buffer, clearArray: true);
                buffer = ArrayPool<ProcessInfo>.Shared.Rent(layout.Slots.Length);
            }

            var built = new NodeSnapshot(
                Node, _address, version, _time.GetUtcNow(), layout.Scripts, [.. buffer.AsSpan(0, written)],
                Incarnation, _gatewayEndpoint, _stopAllowance, layout.DefinitionsVersion, layout.DefinitionsError, _pushEndpoint);

            // Keep the newest: a slower reader that built an older version must not replace a newer one.
            var cached = Volatile.Read(ref _snapshot);
            while (cached.Version < built.Version)
            {
                var seen = Interlocked.CompareExchange(ref _snapshot, built, cached);
                if (ReferenceEquals(seen, cached))
                {
                    break;
                }

                cached = seen;
            }

            return built;
        }
        finally
        {
            ArrayPool<ProcessInfo>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>
    /// What every write changes, on cache lines of its own: were it next to <see cref="_layout"/>, each write would
    /// evict the line every lookup reads on the other cores.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private sealed class WriteSide
    {
        [FieldOffset(128)]
        public long Version;

        [FieldOffset(136)]
        public TaskCompletionSource? NextChange;
    }

    /// <summary>The scripts at one point in time: their cells by name and in order, and the definitions' version.</summary>
    private sealed class Layout(ImmutableArray<ScriptInfo> scripts, ProcessCell[] slots, ScriptIndex cells, long definitionsVersion, string? error, Layout? previous)
    {
        public ImmutableArray<ScriptInfo> Scripts { get; } = scripts;

        public ProcessCell[] Slots { get; } = slots;

        public ScriptIndex Cells { get; } = cells;

        public long DefinitionsVersion { get; } = definitionsVersion;

        public string? DefinitionsError { get; } = error;

        /// <summary>The layout this one replaced, for readers still at an earlier version; cut when the next replaces this one.</summary>
        public Layout? Previous
        {
            get => Volatile.Read(ref field);
            set => Volatile.Write(ref field, value);
        } = previous;

        public static Layout Of(ImmutableArray<ScriptInfo> scripts, ScriptIndex existing, long definitionsVersion, string? error, Layout? previous)
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

            return new Layout(scripts, slots, new ScriptIndex(slots), definitionsVersion, error, previous);
        }
    }

    /// <summary>Completes after at least one publish since the previous call returned (bursts coalesce).</summary>
    /// <remarks>
    /// One consumer (the node's <see cref="StatusPublisher"/>): a wake-up goes to a single waiter, so a caller must not
    /// leave a wait pending and start another. Others wait on <see cref="NextChange"/>.
    /// </remarks>
    public Task WaitForChangeAsync(CancellationToken cancellationToken) => _changed.WaitAsync(cancellationToken);
}
