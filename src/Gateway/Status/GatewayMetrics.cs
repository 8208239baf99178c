using System.Diagnostics;
using System.Diagnostics.Metrics;
using Brummer.Gateway.Nodes;
using Brummer.Grains.Abstractions;
using Brummer.Telemetry;
using static Brummer.Telemetry.BrummerTelemetry;

namespace Brummer.Gateway.Status;

/// <summary>
/// What a dashboard watcher wants to see of the gateway: how its callers fare (MCP tool calls and JSON API requests,
/// by tool or route and outcome, with their durations), how fresh its view of the cluster is (staleness of pushed
/// changes), how pushed changes fare (a rising gap count means lost messages), why nodes get pulled, how many nodes
/// are up or lost. Names come from <see cref="BrummerTelemetry"/>.
/// </summary>
public sealed class GatewayMetrics
{
    /// <summary>Request times: 0.5 ms (a cached answer) to 30 s (a wait or a slow node).</summary>
    private static readonly double[] RequestBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Counter<long> _deltas;
    private readonly Counter<long> _pulls;
    private readonly Counter<long> _lost;
    private readonly Counter<long> _toolCalls;
    private readonly Histogram<double> _toolDuration;
    private readonly Counter<long> _apiRequests;
    private readonly Histogram<double> _apiDuration;
    private readonly Histogram<double> _staleness;

    /// <param name="nodeClients">The way to each node, for how many push connections are open; null in tests without one.</param>
    public GatewayMetrics(IMeterFactory meters, ClusterStatusCache cache, TimeProvider time, NodeClients? nodeClients = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(cache);
        var meter = meters.Create(Name);
        _deltas = meter.CreateCounter(BrummerTelemetry.Gateway.Deltas);
        _pulls = meter.CreateCounter(BrummerTelemetry.Gateway.Pulls);
        _lost = meter.CreateCounter(BrummerTelemetry.Gateway.NodesLost);
        _toolCalls = meter.CreateCounter(BrummerTelemetry.Gateway.ToolCalls);
        _apiRequests = meter.CreateCounter(BrummerTelemetry.Gateway.ApiRequests);
        _toolDuration = meter.CreateHistogram(BrummerTelemetry.Gateway.ToolDuration, RequestBuckets);
        _apiDuration = meter.CreateHistogram(BrummerTelemetry.Gateway.ApiDuration, RequestBuckets);
        _staleness = meter.CreateHistogram(BrummerTelemetry.Gateway.Staleness, [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
        var nodes = BrummerTelemetry.Gateway.Nodes;
        meter.CreateObservableGauge(
            nodes.Name,
            () => cache.Current.Nodes.GroupBy(n => n.StatusAt(time.GetUtcNow())).Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>(Attributes.NodeStatus, g.Key))),
            nodes.Unit,
            nodes.Description);
        var pushes = BrummerTelemetry.Gateway.PushConnections;
        meter.CreateObservableGauge(pushes.Name, () => nodeClients?.PushConnections ?? 0, pushes.Unit, pushes.Description);
    }

    public void Delta(DeltaOutcome outcome) =>
        _deltas.Add(1, new KeyValuePair<string, object?>(Attributes.Outcome, outcome switch
        {
            DeltaOutcome.Applied => "applied",
            DeltaOutcome.Stale => "stale",
            _ => "gap",
        }));

    /// <summary>A pushed change is in the view: how long after the node made it.</summary>
    /// <param name="clockOffset">The gateway's clock minus the node's (<see cref="NodeClock.Offset"/>).</param>
    public void Applied(NodeDelta delta, DateTimeOffset now, TimeSpan clockOffset)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (delta.Processes.IsEmpty)
        {
            return; // a heartbeat: nothing became visible
        }

        var staleness = now - delta.AsOf - clockOffset;
        _staleness.Record(Math.Max(0, staleness.TotalSeconds), new KeyValuePair<string, object?>(Attributes.Node, delta.Node));
    }

    public void Pull(string reason) => _pulls.Add(1, new KeyValuePair<string, object?>(Attributes.Reason, reason));

    public void NodeLost() => _lost.Add(1);

    /// <summary>One MCP tool call answered: <paramref name="outcome"/> is ok, error (the tool reported one) or refused.</summary>
    public void ToolCall(string tool, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { Attributes.McpMethod, "tools/call" }, { Attributes.Tool, tool }, { Attributes.Outcome, outcome } };
        _toolCalls.Add(1, tags);
        _toolDuration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>One JSON API request answered, by its route template (never the raw path: names stay out of the attributes).</summary>
    public void ApiRequest(string route, string method, int statusCode, TimeSpan elapsed)
    {
        var tags = new TagList { { Attributes.Route, route }, { Attributes.Method, method }, { Attributes.StatusCode, statusCode } };
        _apiRequests.Add(1, tags);
        _apiDuration.Record(elapsed.TotalSeconds, tags);
    }

}
