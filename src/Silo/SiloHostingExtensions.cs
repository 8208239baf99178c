using System.Net;
using Brummer.Grains;
using Brummer.Grains.Discovery;
using Brummer.Silo.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Brummer.Silo;

public static class SiloHostingExtensions
{
    public const string ClusterId = "brummer";
    public const string ServiceId = "brummer";

    /// <summary>
    /// Hosts a Brummer node as a single-silo cluster on loopback (the embedded <c>brummer up</c> default).
    /// Discovery runs here, so a missing or malformed package.json fails startup with a clear message.
    /// </summary>
    public static IHostApplicationBuilder AddBrummerEmbeddedSilo(this IHostApplicationBuilder builder, NodeHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var catalog = PackageJsonDiscovery.Discover(options.Directory);
        var siloPort = FreePort.OrNext(options.SiloPort);
        var gatewayPort = FreePort.OrNext(options.GatewayPort);

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ServiceId, clusterId: ClusterId);
            silo.Configure<SiloOptions>(o => o.SiloName = options.Name);
            silo.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Loopback);
            silo.AddActivityPropagation();
        });

        builder.Services.AddBrummerNode(options.Name, $"127.0.0.1:{siloPort}", catalog, options.Processes);
        NodePinnedPlacementDirector.Register(builder.Services);
        builder.Services.AddBrummerNodeShutdown();
        return builder;
    }
}
