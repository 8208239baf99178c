using System.Net;
using Brummer.Clustering;
using Brummer.Clustering.Tls;
using Brummer.Gateway;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes;
using Brummer.ServiceDefaults;
using Brummer.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;

namespace Brummer.Cli;

/// <summary>What <c>brummer node</c> runs: one silo joined to a cluster, running one directory's scripts.</summary>
public sealed record NodeRunOptions(
    string Name,
    string Directory,
    ClusterConnection Cluster,
    string ClusterId,
    IPAddress Advertise,
    int SiloPort,
    int GatewayPort,
    TimeSpan StopTimeout,
    TimeSpan FailureDetection,
    ClusterTls? Tls = null,
    bool OtelLogs = true,
    int? MetricsPort = null,
    int PushPort = 0);

/// <summary>What <c>brummer gateway</c> runs: MCP + JSON API over an Orleans client of the cluster; it hosts no grains.</summary>
public sealed record GatewayRunOptions(ClusterConnection Cluster, string ClusterId, IPAddress Bind, int Port, GatewaySecurity? Gateway = null, ClusterTls? Tls = null)
{
    public GatewaySecurity Security => Gateway ?? GatewaySecurity.LoopbackDefault;
}

public static class ClusterHosts
{
    public static IHost BuildNode(NodeRunOptions options, string[]? args = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        NodeDefinitions.Prefetch();
        var builder = Host.CreateApplicationBuilder(HostSettings.Generic(args));
        builder.AddServiceDefaults("brummer-node", options.Name);
        if (options.MetricsPort is { } metricsPort)
        {
            builder.AddPrometheusListener(IPAddress.Loopback, metricsPort);
        }

        builder.AddBrummerClusterNode(
            new NodeHostOptions
            {
                Name = options.Name,
                Directory = options.Directory,
                Advertise = options.Advertise,
                SiloPort = options.SiloPort,
                GatewayPort = options.GatewayPort,
                PushPort = options.PushPort,
                FailureDetection = options.FailureDetection,
                Tls = options.Tls,
                ExportOutputLogs = options.OtelLogs,
                Processes = new ProcessOptions
                {
                    StopTimeout = options.StopTimeout,
                    ReachableHost = IPAddress.IsLoopback(options.Advertise) ? "localhost"
                        : options.Advertise.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Advertise}]"
                        : options.Advertise.ToString(),
                },
            },
            options.Cluster,
            options.ClusterId);
        return builder.Build();
    }

    public static WebApplication BuildGateway(GatewayRunOptions options, string[]? args = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(HostSettings.Web(args));
        // One instance per machine and port: the same gateway keeps its identity across restarts, two on one machine differ.
        builder.AddServiceDefaults("brummer-gateway", $"{NodeHostOptions.DefaultName}:{options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        builder.WebHost.UseKestrel(k => k.Listen(options.Bind, options.Port));
        builder.Services.AddSingleton(options.Cluster);
        builder.UseOrleansClient(client =>
        {
            client.UseBrummerClustering(options.Cluster, options.ClusterId);
            client.UseBrummerTransport(options.Tls);
            client.AddActivityPropagation();
            client.UseConnectionRetryFilter<WaitForCluster>();
        });

        // One connection per node besides the cluster-wide one: a node that hangs then holds up only its own calls.
        builder.Services.AddDirectNodeClients(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, ClusteringExtensions.ServiceId));
            client.UseBrummerTransport(options.Tls);
            client.AddActivityPropagation();
        }, options.Tls is { } tls ? tls.SslClientOptions : null);
        builder.AddBrummerGateway(g => options.Security.Apply(g, options.Bind));
        var app = builder.Build();
        app.MapBrummerGateway();
        return app;
    }

    /// <summary>The banner line saying whether the cluster's connections are authenticated and encrypted.</summary>
    public static string TlsBanner(ClusterTls? tls) => tls is null
        ? "Cluster TLS: off"
        : $"Cluster TLS: on (certificate '{tls.Name}', cluster CA '{tls.AuthorityName}')";

    /// <summary>
    /// A gateway may start before any node: it keeps trying, saying so, until a node answers or it is stopped. Nodes
    /// that answer by refusing it (TLS) are another matter: it stops at once with their reason.
    /// </summary>
    private sealed class WaitForCluster(PeerRefusals refusals, ClusterConnection cluster, ILogger<WaitForCluster> logger) : IClientConnectionRetryFilter
    {
        private int _attempts;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (refusals.Reason is { } reason)
            {
                throw new ClusterRefusedException(reason);
            }

            if (Interlocked.Increment(ref _attempts) % 10 == 1)
            {
                logger.LogWarning("No node of the cluster is reachable yet ({Reason}); retrying every second{Where}", exception.Message, Where());
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        /// <summary>With dev:// the gateway knows one address only, the primary's client gateway: say which, and how to name another.</summary>
        private string Where() => cluster.PrimaryGateway is { } primary
            ? $". It looks for the primary node's gateway at {primary}; if that node was started with another --gateway-port, say so: dev://{cluster.PrimarySilo}?gateway=PORT"
            : string.Empty;
    }
}
