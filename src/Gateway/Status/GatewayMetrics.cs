using System.Diagnostics.Metrics;

namespace Brummer.Gateway.Status;

/// <summary>
/// What a dashboard watcher wants to see of the gateway's view of the cluster: how pushed changes fare (a rising gap
/// count means lost messages), why nodes get pulled, how many nodes are up or lost.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "Brummer";

    private readonly Counter<long> _deltas;
    private readonly Counter<long> _pulls;
    private readonly Counter<long> _lost;

    public GatewayMetrics(IMeterFactory meters, ClusterStatusCache cache, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(cache);
        var meter = meters.Create(MeterName);
        _deltas = meter.CreateCounter<long>("brummer.gateway.deltas", description: "Pushed node deltas received, by outcome (applied, stale = heartbeat or late, gap).");
        _pulls = meter.CreateCounter<long>("brummer.gateway.pulls", description: "Full node snapshots pulled, by reason (join, gap, periodic).");
        _lost = meter.CreateCounter<long>("brummer.gateway.nodes_lost", description: "Nodes the cluster declared dead while this gateway watched them.");
        meter.CreateObservableGauge(
            "brummer.gateway.nodes",
            () => cache.Current.Nodes.GroupBy(n => n.StatusAt(time.GetUtcNow())).Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("status", g.Key))),
            description: "Nodes in the gateway's view, by status (up, unresponsive, left, lost).");
    }

    public void Delta(DeltaOutcome outcome) =>
        _deltas.Add(1, new KeyValuePair<string, object?>("outcome", outcome switch
        {
            DeltaOutcome.Applied => "applied",
            DeltaOutcome.Stale => "stale",
            _ => "gap",
        }));

    public void Pull(string reason) => _pulls.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void NodeLost() => _lost.Add(1);
}
