using System.Collections.Frozen;
using System.Collections.Immutable;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>What the gateway knows of a node's life. Values are not on the wire; names are (<see cref="NodeView.StatusAt"/>).</summary>
public enum NodeState
{
    /// <summary>In the cluster and heard from recently.</summary>
    Up = 1,

    /// <summary>In the cluster, but no heartbeat for <see cref="StatusSubscription.UnresponsiveAfter"/>: paused, overloaded or cut off.</summary>
    Unresponsive = 2,

    /// <summary>Stopped on purpose (Ctrl+C, SIGTERM): its processes show how they ended.</summary>
    Left = 3,

    /// <summary>Declared dead by the cluster (or silent past the silence limit): its processes show their last known state, marked lost.</summary>
    Lost = 4,
}

/// <summary>
/// The gateway's immutable view of one node: its last snapshot merged with the deltas and control results since,
/// or, once it left or membership declared it dead, its last known state.
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
        NodeClock? clock = null,
        bool left = false,
        string? gatewayEndpoint = null,
        TimeSpan stopAllowance = default)
    {
        StopAllowance = stopAllowance > TimeSpan.Zero ? stopAllowance : DefaultStopAllowance;
        Name = name;
        Address = address;
        Incarnation = incarnation;
        Version = version;
        ScriptList = scripts;
        Processes = processes;
        Clock = clock ?? new NodeClock();
        Clock.Heard(receivedAt);
        IsLost = lost;
        HasLeft = left && !lost;
        GatewayEndpoint = gatewayEndpoint;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var process in processes)
        {
            var key = process.Status.ToWireName();
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Counts = counts.ToFrozenDictionary(StringComparer.Ordinal);
        Scripts = scripts.Select(s => s.Name).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <param name="clock">The clock of the node's run when the view replaces one of the same run (its scripts were reloaded).</param>
    public static NodeView From(NodeSnapshot snapshot, DateTimeOffset receivedAt, NodeClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new NodeView(
            snapshot.Node, snapshot.Address, snapshot.Incarnation, snapshot.Version, snapshot.Scripts, snapshot.Processes, receivedAt,
            clock: clock, gatewayEndpoint: snapshot.GatewayEndpoint, stopAllowance: snapshot.StopAllowance)
        {
            DefinitionsVersion = snapshot.DefinitionsVersion,
            DefinitionsError = snapshot.DefinitionsError,
        };
    }

    /// <summary>The node version at which its scripts last changed: views with another one are not merged.</summary>
    public long DefinitionsVersion { get; private init; }

    /// <summary>Why the node last refused its definition files (it runs the previous ones); null when they were read.</summary>
    public string? DefinitionsError { get; private init; }

    /// <summary>For nodes that do not say: the default stop timeout (5 s) and SIGKILL grace (10 s).</summary>
    public static readonly TimeSpan DefaultStopAllowance = TimeSpan.FromSeconds(15);

    /// <summary>The longest a stop of one of the node's processes can take once begun.</summary>
    public TimeSpan StopAllowance { get; }

    public string Name { get; }

    /// <summary>The node's silo address (host:port).</summary>
    public string Address { get; }

    /// <summary>Where the node's Orleans client gateway listens (host:port), if it said.</summary>
    public string? GatewayEndpoint { get; }

    /// <summary>Which run of the node this view describes; a restart brings a new one.</summary>
    public long Incarnation { get; }

    /// <summary>The newest node version merged into this view.</summary>
    public long Version { get; }

    public ImmutableArray<ScriptInfo> ScriptList { get; }

    /// <summary>Processes of the node ordered by script name; each the newest view the gateway has seen.</summary>
    public ImmutableArray<ProcessInfo> Processes { get; }

    /// <summary>When the node was last heard from, and how its clock compares with the gateway's; shared by one run's views.</summary>
    public NodeClock Clock { get; }

    /// <summary>When the gateway last heard from the node (a change or a heartbeat): its freshness.</summary>
    public DateTimeOffset ReceivedAt => Clock.LastHeard;

    /// <summary>Membership declared the node dead: its processes are its last known state, marked lost.</summary>
    public bool IsLost { get; }

    /// <summary>The node said goodbye (stopped on purpose); its processes are as they ended.</summary>
    public bool HasLeft { get; }

    /// <summary>Up and recently heard from: worth sending a request to.</summary>
    public bool IsReachable(DateTimeOffset now) => State(now) == NodeState.Up;

    public NodeState State(DateTimeOffset now) =>
        IsLost ? NodeState.Lost
        : HasLeft ? NodeState.Left
        : now - ReceivedAt > StatusSubscription.UnresponsiveAfter ? NodeState.Unresponsive
        : NodeState.Up;

    /// <summary>The wire name of <see cref="State"/>: up, unresponsive, left or lost.</summary>
    public string StatusAt(DateTimeOffset now) => State(now) switch
    {
        NodeState.Lost => "lost",
        NodeState.Left => "left",
        NodeState.Unresponsive => "unresponsive",
        _ => "up",
    };

    /// <summary>Process count per wire status name, precomputed for <c>nodes_list</c>.</summary>
    public FrozenDictionary<string, int> Counts { get; }

    public FrozenSet<string> Scripts { get; }

    public bool HasScript(string name) => Scripts.Contains(name);

    public NodeView With(long version, ImmutableArray<ProcessInfo> processes, DateTimeOffset receivedAt) =>
        new(Name, Address, Incarnation, version, ScriptList, processes, receivedAt, IsLost, Clock, HasLeft, GatewayEndpoint, StopAllowance) { DefinitionsVersion = DefinitionsVersion, DefinitionsError = DefinitionsError };

    /// <summary>This view as the node's goodbye left it: processes as they ended, the node 'left'.</summary>
    public NodeView AsLeft(long version, ImmutableArray<ProcessInfo> processes, DateTimeOffset receivedAt) =>
        new(Name, Address, Incarnation, version, ScriptList, processes, receivedAt, lost: false, Clock, left: true, GatewayEndpoint, StopAllowance) { DefinitionsVersion = DefinitionsVersion, DefinitionsError = DefinitionsError };

    /// <summary>Records that the node was heard from without anything changing: no new view, no allocation.</summary>
    public void Heard(DateTimeOffset at) => Clock.Heard(at);

    /// <summary>This view with every process marked lost, keeping its last known fields and saying what it was.</summary>
    public NodeView AsLost()
    {
        var processes = ImmutableArray.CreateRange(Processes, p => p.Status == ProcessStatus.Lost
            ? p
            : p with { Status = ProcessStatus.Lost, Reason = $"node '{p.Node}' lost; last known status: {p.Status.ToWireName()}" });
        return new NodeView(Name, Address, Incarnation, Version, ScriptList, processes, ReceivedAt, lost: true, gatewayEndpoint: GatewayEndpoint, stopAllowance: StopAllowance)
        {
            DefinitionsVersion = DefinitionsVersion,
            DefinitionsError = DefinitionsError,
        };
    }
}

/// <summary>
/// When a node was last heard from, and how far its clock is from the gateway's — shared by the successive views of one
/// run of the node, so that a heartbeat updates both with a few writes instead of publishing a new cluster view.
/// </summary>
public sealed class NodeClock
{
    /// <summary>How fast the offset estimate may grow back (clocks drift; the minimum alone would only ever fall).</summary>
    private const double LeakPerSecond = 0.001;

    private readonly Lock _measure = new();
    private long _ticks;
    private long _offsetTicks;
    private long _measuredAt;
    private bool _measured;

    public DateTimeOffset LastHeard => new(Volatile.Read(ref _ticks), TimeSpan.Zero);

    /// <summary>
    /// The gateway's clock minus the node's, plus the shortest transit seen: the smallest (receive − send) difference
    /// over recent pushes, allowed to creep up slowly. Zero until the node has pushed once.
    /// </summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Volatile.Read(ref _offsetTicks));

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

    /// <summary>Takes one push into the offset estimate: sent at <paramref name="sentAt"/> (node clock), received at <paramref name="receivedAt"/>.</summary>
    public void Measured(DateTimeOffset receivedAt, DateTimeOffset sentAt)
    {
        if (sentAt == default)
        {
            return; // A node that does not stamp its pushes.
        }

        var sample = (receivedAt - sentAt).Ticks;
        lock (_measure)
        {
            if (!_measured)
            {
                _measured = true;
            }
            else
            {
                var leaked = _offsetTicks + (long)((receivedAt.UtcTicks - _measuredAt) * LeakPerSecond);
                sample = Math.Min(sample, leaked);
            }

            _measuredAt = receivedAt.UtcTicks;
            Volatile.Write(ref _offsetTicks, sample);
        }
    }

    /// <summary>A moment on the gateway's clock, as the node's clock reads it.</summary>
    public DateTimeOffset ToNodeTime(DateTimeOffset gatewayTime) =>
        gatewayTime == DateTimeOffset.MaxValue ? gatewayTime : gatewayTime - Offset;
}
