using System.Net;
using Brummer.Clustering;
using Brummer.Clustering.Tls;
using Brummer.Grains;
using Brummer.Grains.Discovery;
using Brummer.Grains.Status.Push;
using Brummer.Grains.Telemetry;
using Brummer.Silo.Membership;
using Brummer.Silo.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Brummer.Silo;

public static class SiloHostingExtensions
{
    /// <summary>Probes missed before a node is suspected: Orleans' default, kept so the knob is one number.</summary>
    public const int MissedProbesLimit = 3;

    /// <summary>
    /// How long a node tries to reach every active member before it gives up joining (Orleans' default: 5 minutes of
    /// silence). Long enough for a member that died without leaving to be declared dead by the others first.
    /// </summary>
    public static TimeSpan JoinTimeout(TimeSpan failureDetection) => (failureDetection * 2) + TimeSpan.FromSeconds(30);

    /// <summary>
    /// Hosts a Brummer node as a single-silo cluster on loopback (the embedded <c>brummer up</c> default).
    /// Discovery runs here, so a missing or malformed package.json or brummer.yaml fails startup with a clear message.
    /// </summary>
    public static IHostApplicationBuilder AddBrummerEmbeddedSilo(this IHostApplicationBuilder builder, NodeHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var catalog = NodeDefinitions.Load(options.Directory, options.Name);
        var siloPort = FreePort.OrNext(options.SiloPort);
        var gatewayPort = FreePort.OrNext(options.GatewayPort);

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ClusteringExtensions.ServiceId, clusterId: ClusteringExtensions.DefaultClusterId);
            silo.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Loopback);
            ConfigureNode(silo, options);
        });

        AddNodeServices(builder, options, catalog, $"127.0.0.1:{siloPort}", $"127.0.0.1:{gatewayPort}");
        return builder;
    }

    /// <summary>
    /// Hosts a Brummer node that joins the cluster named by <paramref name="connection"/>: it listens on
    /// <see cref="NodeHostOptions.Advertise"/> only, and its process grains live here and nowhere else.
    /// </summary>
    public static IHostApplicationBuilder AddBrummerClusterNode(this IHostApplicationBuilder builder, NodeHostOptions options, ClusterConnection connection, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var catalog = NodeDefinitions.Load(options.Directory, options.Name);
        var siloPort = FreePort.OrNext(options.SiloPort);
        var gatewayPort = FreePort.OrNext(options.GatewayPort);

        builder.UseOrleans(silo =>
        {
            silo.UseBrummerClustering(connection, clusterId);
            silo.ConfigureEndpoints(options.Advertise, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            silo.UseBrummerTransport(options.Tls);
            silo.Configure<ClusterMembershipOptions>(o => o.MaxJoinAttemptTime = JoinTimeout(options.FailureDetection));
            ConfigureNode(silo, options);
        });

        var pushPort = StatusPushPort.Bind(options.Advertise, options.PushPort, options.Tls?.SslServerOptions());
        AddNodeServices(builder, options, catalog, Endpoint(options.Advertise, siloPort), Endpoint(options.Advertise, gatewayPort), pushPort);
        if (connection.Provider is ClusterProvider.Redis or ClusterProvider.Postgres)
        {
            // An external store can lose its data while the nodes run; Orleans alone never recovers from that.
            builder.Services.AddSingleton<MembershipStoreHealth>();
            builder.Services.AddOptions<MembershipRepairOptions>().BindConfiguration("Brummer:Membership");
            builder.Services.AddHostedService<MembershipTableRepair>();
        }

        return builder;
    }

    private static void ConfigureNode(ISiloBuilder silo, NodeHostOptions options)
    {
        silo.Configure<SiloOptions>(o => o.SiloName = options.Name);
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.NumMissedProbesLimit = MissedProbesLimit;
            o.ProbeTimeout = options.FailureDetection / MissedProbesLimit;
        });
        silo.AddActivityPropagation();
    }

    private static string Endpoint(IPAddress address, int port) => new IPEndPoint(address, port).ToString();

    private static void AddNodeServices(IHostApplicationBuilder builder, NodeHostOptions options, ScriptCatalog catalog, string address, string gatewayEndpoint, StatusPushPort? pushPort = null)
    {
        // Read where the host reads everything else (environment, appsettings, command line), as the SDK's exporter does.
        var outputLogs = options.ExportOutputLogs ? ScriptLogExportOptions.FromSettings(key => builder.Configuration[key]) : null;
        builder.Services.AddBrummerNode(options.Name, address, catalog, options.Processes, gatewayEndpoint, () => NodeDefinitions.Load(options.Directory, options.Name), outputLogs, pushPort);
        NodePinnedPlacementDirector.Register(builder.Services);
        builder.Services.AddBrummerNodeShutdown();
    }
}
