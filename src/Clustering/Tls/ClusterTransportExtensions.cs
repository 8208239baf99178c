using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace Brummer.Clustering.Tls;

/// <summary>
/// How a node (silo) or a gateway (client) connects to the other members: with mutual TLS when given a
/// <see cref="ClusterTls"/> (each side presents its certificate and accepts the other's only if it chains to the cluster
/// CA), and with its outbound connections watched for refusals either way (<see cref="PeerRefusals"/>).
/// </summary>
public static class ClusterTransportExtensions
{
    public static ISiloBuilder UseBrummerTransport(this ISiloBuilder silo, ClusterTls? tls)
    {
        ArgumentNullException.ThrowIfNull(silo);
        tls?.EnsureServerUsage();
        var options = tls is null ? null : MutualTls(tls);
        AddRefusals(silo.Services, tls);
        silo.Configure<SiloConnectionOptions>(connections =>
        {
            if (options is not null)
            {
                connections.ConfigureSiloInboundConnection(builder => builder.UseServerTls(options));
                connections.ConfigureGatewayInboundConnection(builder => builder.UseServerTls(options));
            }

            connections.ConfigureSiloOutboundConnection(builder => builder.ApplicationServices.GetRequiredService<PeerRefusals>().Watch(builder, options));
        });
        return silo;
    }

    public static IClientBuilder UseBrummerTransport(this IClientBuilder client, ClusterTls? tls)
    {
        ArgumentNullException.ThrowIfNull(client);
        var options = tls is null ? null : MutualTls(tls);
        AddRefusals(client.Services, tls);
        client.Configure<ClientConnectionOptions>(connections =>
            connections.ConfigureConnection(builder => builder.ApplicationServices.GetRequiredService<PeerRefusals>().Watch(builder, options)));
        return client;
    }

    private static void AddRefusals(IServiceCollection services, ClusterTls? tls)
    {
        services.AddSingleton(provider => new PeerRefusals(tls, provider.GetRequiredService<ILogger<PeerRefusals>>()));
        // PeerRefusals logs each refused outbound handshake as one line with its reason; the middleware's own warning
        // is a stack trace without one. (Refused inbound handshakes keep the server middleware's warning.)
        services.Configure<LoggerFilterOptions>(o => o.AddFilter("Orleans.Connections.Security.TlsClientConnectionMiddleware", LogLevel.Error));
    }

    private static TlsOptions MutualTls(ClusterTls tls) => new()
    {
        LocalCertificate = tls.Certificate,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
        // Replaces the platform's verdict (OS roots, host names) with the cluster CA's alone.
        RemoteCertificateValidation = (certificate, _, _) =>
        {
            if (tls.Check(certificate) is not { } problem)
            {
                return true;
            }

            PeerRefusals.NoteUntrustedPeer(problem);
            return false;
        },
    };
}
