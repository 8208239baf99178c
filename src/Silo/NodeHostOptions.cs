using System.Net;
using Brummer.Clustering.Tls;
using Brummer.Grains.Processes;

namespace Brummer.Silo;

/// <summary>What a node needs to join a cluster and run its directory's scripts.</summary>
public sealed class NodeHostOptions
{
    /// <summary>Orleans' defaults: a silo that misses 3 probes sent every 5 s is suspected, then declared dead.</summary>
    public static readonly TimeSpan DefaultFailureDetection = TimeSpan.FromSeconds(15);

    /// <summary>The node's name: unique in the cluster, used in process keys and by users (<c>--node</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The directory whose package.json scripts and brummer.yaml processes this node runs.</summary>
    public required string Directory { get; init; }

    /// <summary>Orleans silo-to-silo port; 0 picks a free one.</summary>
    public int SiloPort { get; init; }

    /// <summary>Orleans client gateway port; 0 picks a free one.</summary>
    public int GatewayPort { get; init; }

    /// <summary>Port gateways open push connections to (a cluster node's changes, read on a thread of their own); 0 picks a free one.</summary>
    public int PushPort { get; init; }

    /// <summary>The address other nodes and gateways reach this node at; the node listens on it only. Loopback by default.</summary>
    public IPAddress Advertise { get; init; } = IPAddress.Loopback;

    /// <summary>
    /// How long the cluster takes to declare an unreachable node dead: the probe period is a third of it, and three
    /// missed probes make a suspicion.
    /// </summary>
    public TimeSpan FailureDetection { get; init; } = DefaultFailureDetection;

    public ProcessOptions Processes { get; init; } = new();

    /// <summary>Mutual TLS with the cluster's other members (nodes and gateways); null for none.</summary>
    public ClusterTls? Tls { get; init; }

    /// <summary>
    /// Sends the scripts' output as OpenTelemetry logs when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT);
    /// false keeps it on the node (<c>--otel-logs off</c>).
    /// </summary>
    public bool ExportOutputLogs { get; init; } = true;

    public static string DefaultName => Environment.MachineName.ToLowerInvariant();
}
