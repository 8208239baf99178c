using System.Collections.Frozen;
using System.Collections.Immutable;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>
/// The gateway's immutable view of one node: its last snapshot merged with the deltas and control results since,
/// or, once membership declared the node dead, its last known state marked <c>lost</c>.
/// </summary>
public sealed class NodeView
{
    public NodeView(
        string name,
        string address,
        long incarnation,
        long version,
        ImmutableArray<ScriptInfo> scripts,
        ImmutableArray<ProcessInfo> processes,
        DateTimeOffset receivedAt,
        bool lost = false,
        NodeClock? clock = null)
    {
        Name = name;
        Address = address;
        Incarnation = incarnation;
        Version = version;
        ScriptList = scripts;
        Processes = processes;
        _clock = clock ?? new NodeClock();
        _clock.Heard(receivedAt);
        IsLost = lost;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var process in processes)
        {
            var key = process.Status.ToWireName();
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Counts = counts.ToFrozenDictionary(StringComparer.Ordinal);
        Scripts = scripts.Select(s => s.Name).ToFrozenSet(StringComparer.Ordinal);
    }

    public static NodeView From(NodeSnapshot snapshot, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new NodeView(snapshot.Node, snapshot.Address, snapshot.Incarnation, snapshot.Version, snapshot.Scripts, snapshot.Processes, receivedAt);
    }

    public string Name { get; }

    /// <summary>The node's silo address (host:port).</summary>
    public string Address { get; }

    /// <summary>Which run of the node this view describes; a restart brings a new one.</summary>
    public long Incarnation { get; }

    /// <summary>The newest node version merged into this view.</summary>
    public long Version { get; }

    public ImmutableArray<ScriptInfo> ScriptList { get; }

    /// <summary>Processes of the node ordered by script name; each the newest view the gateway has seen.</summary>
    public ImmutableArray<ProcessInfo> Processes { get; }

    private readonly NodeClock _clock;

    /// <summary>When the gateway last heard from the node (a change or a heartbeat): its freshness.</summary>
    public DateTimeOffset ReceivedAt => _clock.LastHeard;

    /// <summary>Membership declared the node dead: its processes are its last known state, marked lost.</summary>
    public bool IsLost { get; }

    public string Status => IsLost ? "lost" : "up";

    /// <summary>Process count per wire status name, precomputed for <c>nodes_list</c>.</summary>
    public FrozenDictionary<string, int> Counts { get; }

    public FrozenSet<string> Scripts { get; }

    public bool HasScript(string name) => Scripts.Contains(name);

    public NodeView With(long version, ImmutableArray<ProcessInfo> processes, DateTimeOffset receivedAt) =>
        new(Name, Address, Incarnation, version, ScriptList, processes, receivedAt, IsLost, _clock);

    /// <summary>Records that the node was heard from without anything changing: no new view, no allocation.</summary>
    public void Heard(DateTimeOffset at) => _clock.Heard(at);

    /// <summary>This view with every process marked lost, keeping its last known fields and saying what it was.</summary>
    public NodeView AsLost()
    {
        var processes = ImmutableArray.CreateRange(Processes, p => p.Status == ProcessStatus.Lost
            ? p
            : p with { Status = ProcessStatus.Lost, Reason = $"node '{p.Node}' lost; last known status: {p.Status.ToWireName()}" });
        return new NodeView(Name, Address, Incarnation, Version, ScriptList, processes, ReceivedAt, lost: true);
    }
}

/// <summary>
/// When a node was last heard from, shared by the successive views of one run of the node, so that a heartbeat
/// refreshes it with one volatile write instead of publishing a new cluster view. Only moves forward.
/// </summary>
public sealed class NodeClock
{
    private long _ticks;

    public DateTimeOffset LastHeard => new(Volatile.Read(ref _ticks), TimeSpan.Zero);

    public void Heard(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        var seen = Volatile.Read(ref _ticks);
        while (ticks > seen)
        {
            var previous = Interlocked.CompareExchange(ref _ticks, ticks, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
